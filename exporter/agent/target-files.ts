import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Meter } from '@opentelemetry/api';
import {
  composeTargets,
  ConfigError,
  type FileTarget,
  formatPublicIssues,
  MAX_TARGET_FILE_BYTES,
  MAX_TARGET_FILES,
  parseTargetFileOffThread,
  readConfigFile,
  readProblem,
  type Config,
  type TargetFileContent,
  type TargetGroupConfig,
} from '../config';
import { errorCode, ExporterError } from '../errors';
import type { Logger } from '../logging';
import type { MetricStore, ObservedBinding } from '../metrics';
import { type Clock, systemClock } from '../scheduler';
import type { Agent, ReloadSummary } from './agent';
import { filesMatching } from './file-pattern';
import { observeTargetFiles, type TargetFileStatus } from './target-file-metrics';

/** How often the files are checked when no change event came: a change applies within this and the read. */
const DEFAULT_TARGET_FILE_POLL_MS = 2_000;
/** Files read (and parsed, large ones on workers) at a time: a start or reload of many files uses both cores, not more. */
const PARALLEL_READS = 2;
/** Events of one write (truncate, write, rename) are gathered into one read. */
const EVENT_SETTLE_MS = 50;

export interface TargetFilesOptions {
  /** The config as read: its own targets, and its target groups. */
  readonly config: Config;
  /** Starts the agent on the first composed config. */
  readonly startAgent: (config: Config) => Promise<Agent>;
  /** Applied to every composed config before it runs: the shard's selection. Default: none. */
  readonly finish?: (config: Config) => Config;
  readonly logger: Logger;
  /** Where netdiag_target_file_* go; unset: not exported. */
  readonly meter?: Meter;
  readonly store?: MetricStore;
  readonly clock?: Clock;
  /** Default DEFAULT_TARGET_FILE_POLL_MS. */
  readonly pollIntervalMs?: number;
  /** Unix seconds; default Date.now() / 1000. */
  readonly now?: () => number;
  /** How a file's bytes become targets; default parseTargetFileOffThread (a worker for large files). */
  readonly parse?: (bytes: Buffer, file: string, group: TargetGroupConfig) => Promise<FileTarget[]>;
}

interface FileState {
  readonly file: string;
  group: number;
  /** inode, size and times at the last read: an unchanged stamp is not read again. */
  stamp: string | undefined;
  digest: string | undefined;
  lastGood: readonly FileTarget[] | undefined;
  success: boolean;
  lastSuccess: number | undefined;
  targets: number;
  /** What was last logged about it: the same problem is logged once, not at every poll. */
  logged: string | undefined;
}

/**
 * Targets from where they already live: runs an agent on the config's own targets plus those of its
 * target groups' file_sd files, and keeps it in step with the files without a signal. Directories
 * are watched (fs.watch) and every file polled as a fallback (network file systems, a watch that
 * failed): a file whose bytes changed is read again, and the composed config is applied like a
 * reload (unchanged targets keep their state, removed ones lose their series). A file with an error
 * keeps its last good content, is logged with FILE:LINE:COL (ERR_TARGET_FILE) and reads 0 in
 * netdiag_target_file_success, and never stops the other files.
 *
 * It is an Agent itself: the config reloader hands it new configs, whose targets and groups it
 * composes with the files before the agent sees them.
 */
export async function startWithTargetFiles(options: TargetFilesOptions): Promise<Agent> {
  const agent = new TargetFileAgent(options);
  await agent.start();
  return agent;
}

class TargetFileAgent implements Agent {
  private base: Config;
  private inner: Agent | undefined;
  private readonly files = new Map<string, FileState>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly clock: Clock;
  private readonly now: () => number;
  private binding: ObservedBinding | undefined;
  private poll: unknown;
  private settle: unknown;
  /** Every read and apply runs in this chain, one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  /** A refresh is queued and has not started: further events are folded into it. */
  private queued = false;
  private closed = false;

  constructor(private readonly options: TargetFilesOptions) {
    this.base = options.config;
    this.clock = options.clock ?? systemClock;
    this.now = options.now ?? ((): number => Date.now() / 1000);
  }

  get config(): Config {
    return this.running().config;
  }

  async start(): Promise<void> {
    this.inner = await this.options.startAgent(await this.composeAll());
    if (this.options.meter)
      this.binding = observeTargetFiles(this.options.meter, this.options.store, () => this.statuses());
    this.watchDirectories();
    this.schedulePoll();
  }

  reload(config: Config): Promise<ReloadSummary> {
    const run = this.queue.then(async () => {
      const previous = this.base;
      this.base = config;
      try {
        // Every file again: the group settings its targets take may have changed.
        return await this.running().reload(await this.composeAll());
      } catch (error) {
        this.base = previous;
        throw error;
      }
    });
    this.queue = run.catch(() => undefined);
    return run.finally(() => this.watchDirectories());
  }

  reloadFailed(): void {
    this.running().reloadFailed();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.poll);
    this.clock.clearTimeout(this.settle);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.binding?.detach();
    await this.queue;
    await this.inner?.close();
  }

  /** Reads what changed and applies it; queued behind any running read or reload. */
  refresh(): Promise<void> {
    if (this.queued || this.closed) return this.queue.then(() => undefined);
    this.queued = true;
    const run = this.queue.then(async () => {
      this.queued = false;
      if (this.closed) return;
      try {
        // Nothing read anew, no file come or gone: nothing to compose, diff or apply (the poll's usual case).
        const composed = await this.compose(false);
        if (composed === undefined) return;
        const summary = await this.running().reload(composed);
        this.options.logger.info('target files applied', {
          added: summary.added.length,
          removed: summary.removed.length,
          changed: summary.changed.length,
          unchanged: summary.unchanged,
        });
      } catch (error) {
        // The agent refused the whole (ERR_CAPACITY, say), or a directory could not be listed: it
        // runs what it ran; the next change or poll retries. Never a rejection: the poll and the
        // watch drop this promise.
        this.options.logger.error('target files could not be applied, keeping the running targets', {
          code: 'ERR_TARGET_FILE',
          err: error as Error,
        });
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private running(): Agent {
    if (!this.inner) throw new ExporterError('ERR_INTERNAL', 'the agent has not started');
    return this.inner;
  }

  /** Every file read again, and composed. */
  private async composeAll(): Promise<Config> {
    // Forced, it always composes.
    return (await this.compose(true))!;
  }

  /**
   * Lists and reads the files (all of them when `force`, else those whose stamp changed), then
   * composes. Undefined when no file was read anew, came or went: the composition would be the
   * running one, and composing it again (a Map of every target's name, the cardinality default
   * over every target) is what the poll would otherwise do every 2 s.
   */
  private async compose(force: boolean): Promise<Config | undefined> {
    const groups = this.base.targetGroups ?? [];
    const listed = await this.list(groups);
    let changed = force;
    for (const file of this.files.keys()) {
      if (listed.has(file)) continue;
      this.files.delete(file);
      changed = true;
    }
    const reads: Array<() => Promise<void>> = [];
    const contents: TargetFileContent[] = [];
    for (const [file, group] of listed) {
      let state = this.files.get(file);
      if (!state) {
        changed = true;
        state = {
          file,
          group,
          stamp: undefined,
          digest: undefined,
          lastGood: undefined,
          success: false,
          lastSuccess: undefined,
          targets: 0,
          logged: undefined,
        };
        this.files.set(file, state);
      }
      const groupChanged = state.group !== group;
      state.group = group;
      const at = contents.length;
      contents.push({ file });
      const read = state;
      reads.push(async () => {
        const fresh = await this.read(read, groups[group]!, force || groupChanged);
        if (fresh) changed = true;
        contents[at] = { file, ...(fresh && { fresh }), ...(read.lastGood && { lastGood: read.lastGood }) };
      });
    }
    await inParallel(reads, PARALLEL_READS);
    if (!changed) return undefined;
    const { config, files } = composeTargets(this.base, contents);
    for (const composed of files) {
      const state = this.files.get(composed.file)!;
      if (composed.tookFresh) {
        state.lastGood = composed.taken;
        state.success = true;
        state.lastSuccess = this.now();
      }
      state.targets = composed.taken.length;
      if (composed.problems.length > 0) {
        state.success = false;
        this.rejected(state, composed.problems.join('\n'), composed.taken.length);
      } else if (composed.tookFresh) state.logged = undefined;
    }
    return this.options.finish ? this.options.finish(config) : config;
  }

  /** The file's new targets when it changed and reads well; undefined when unchanged or in error (then logged). */
  private async read(
    state: FileState,
    group: TargetGroupConfig,
    force: boolean,
  ): Promise<FileTarget[] | undefined> {
    let bytes: Buffer;
    let stamp: string;
    try {
      const stats = await stat(state.file);
      stamp = `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
      if (!force && stamp === state.stamp) return undefined;
      bytes = await readConfigFile(state.file, { limit: MAX_TARGET_FILE_BYTES });
    } catch (error) {
      state.stamp = undefined;
      state.success = false;
      this.rejected(
        state,
        `${state.file}:1:1: (root): cannot read: ${readProblem(error)}`,
        state.lastGood?.length ?? 0,
      );
      return undefined;
    }
    state.stamp = stamp;
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (!force && digest === state.digest) return undefined;
    state.digest = digest;
    try {
      return await (this.options.parse ?? parseTargetFileOffThread)(bytes, state.file, group);
    } catch (error) {
      state.success = false;
      if (error instanceof ConfigError) {
        this.rejected(state, formatPublicIssues(error), state.lastGood?.length ?? 0);
        return undefined;
      }
      // Not the file's content (a worker that could not start): read it again at the next poll.
      state.digest = undefined;
      state.stamp = undefined;
      this.rejected(
        state,
        `${state.file}:1:1: (root): cannot parse now: ${errorCode(error)}`,
        state.lastGood?.length ?? 0,
      );
      return undefined;
    }
  }

  /** Files of every group, each taken by the first group that names it, at most MAX_TARGET_FILES. */
  private async list(groups: readonly TargetGroupConfig[]): Promise<Map<string, number>> {
    const listed = new Map<string, number>();
    for (const [index, group] of groups.entries()) {
      for (const pattern of group.files) {
        for (const file of await filesMatching(pattern)) {
          if (listed.has(file)) continue;
          if (listed.size === MAX_TARGET_FILES) {
            this.options.logger.error('too many target files: the others are not read', {
              code: 'ERR_TARGET_FILE',
              limit: MAX_TARGET_FILES,
              file,
            });
            return listed;
          }
          listed.set(file, index);
        }
      }
    }
    return listed;
  }

  private rejected(state: FileState, detail: string, kept: number): void {
    if (state.logged === detail) return;
    state.logged = detail;
    const { file } = state;
    this.options.logger.error('target file rejected, keeping its last good targets', {
      code: 'ERR_TARGET_FILE',
      file,
      targets_kept: kept,
      detail,
    });
  }

  private statuses(): TargetFileStatus[] {
    return [...this.files.values()].map(({ file, success, lastSuccess, targets }) => ({
      file,
      success,
      lastSuccess,
      targets,
    }));
  }

  /** One watch per directory of a pattern; a directory that cannot be watched is left to the poll. */
  private watchDirectories(): void {
    if (this.closed) return;
    const wanted = new Set(
      (this.base.targetGroups ?? []).flatMap((group) => group.files.map((p) => path.dirname(p))),
    );
    for (const [directory, watcher] of this.watchers) {
      if (wanted.has(directory)) continue;
      watcher.close();
      this.watchers.delete(directory);
    }
    for (const directory of wanted) {
      if (this.watchers.has(directory)) continue;
      try {
        const watcher = watch(directory, { persistent: false }, () => this.changed());
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(directory);
        });
        this.watchers.set(directory, watcher);
      } catch {
        // Missing, or out of inotify watches: the poll still finds every change.
      }
    }
  }

  private changed(): void {
    this.clock.clearTimeout(this.settle);
    this.settle = this.clock.setTimeout(() => void this.refresh(), EVENT_SETTLE_MS);
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.poll = this.clock.setTimeout(() => {
      // A directory created since is watched from now on.
      this.watchDirectories();
      void this.refresh().finally(() => this.schedulePoll());
    }, this.options.pollIntervalMs ?? DEFAULT_TARGET_FILE_POLL_MS);
  }
}

/** Runs the tasks, at most `limit` at a time. */
async function inParallel(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
}
