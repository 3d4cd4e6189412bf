import { createHash } from 'node:crypto';
import { readFile, unwatchFile, watchFile, type Stats } from 'node:fs';
import { ConfigError, formatIssue, loadConfig, type Config } from '../config';
import type { Logger } from '../logging';
import type { Agent } from './agent';

export type ReloadTrigger = 'signal' | 'http' | 'watch';

export interface ReloadOutcome {
  ok: boolean;
  /** One line on success; on a rejected config, every error as FILE:LINE:COL: key.path: message. */
  message: string;
}

export interface ConfigReloaderOptions {
  file: string;
  agent: Agent;
  logger: Logger;
  /** Default: loadConfig. */
  load?: (file: string) => Promise<Config>;
}

/**
 * Reloads the config file into the agent on request (SIGHUP, POST /-/reload, a file change).
 * Reloads run one at a time; requests arriving during one are folded into a single next reload, so a
 * storm of signals costs at most two. A rejected file leaves the running config in place.
 */
export class ConfigReloader {
  private running: Promise<ReloadOutcome> | undefined;
  private next: Promise<ReloadOutcome> | undefined;
  private watching = false;
  private lastDigest: string | undefined;

  constructor(private readonly options: ConfigReloaderOptions) {}

  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (!this.running) {
      this.running = this.load(trigger).finally(() => (this.running = undefined));
      return this.running;
    }
    this.next ??= this.running.then(() => {
      this.next = undefined;
      return this.reload(trigger);
    });
    return this.next;
  }

  /** Polls the file (following symlinks, as Kubernetes swaps ConfigMap volumes) and reloads when its bytes change. */
  watch(intervalMs: number): void {
    if (this.watching) return;
    this.watching = true;
    void this.digest().then((digest) => (this.lastDigest ??= digest));
    watchFile(this.options.file, { interval: intervalMs, persistent: false }, (current: Stats) => {
      if (current.nlink === 0 && current.mtimeMs === 0) return; // gone for a moment: wait for it
      void this.digest().then((digest) => {
        if (digest === undefined || digest === this.lastDigest) return;
        this.lastDigest = digest;
        void this.reload('watch');
      });
    });
  }

  close(): void {
    if (this.watching) unwatchFile(this.options.file);
    this.watching = false;
  }

  private async load(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const { file, agent, logger } = this.options;
    const log = logger.child({ trigger });
    let config: Config;
    try {
      config = await (this.options.load ?? loadConfig)(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      agent.reloadFailed();
      const message = error.issues.map(formatIssue).join('\n');
      log.error('config rejected, keeping the running one', { errors: error.issues.length, detail: message });
      return { ok: false, message };
    }
    try {
      const summary = await agent.reload(config);
      this.lastDigest = await this.digest();
      return {
        ok: true,
        message:
          `config reloaded: ${summary.added.length} added, ${summary.removed.length} removed, ` +
          `${summary.changed.length} changed, ${summary.unchanged} unchanged`,
      };
    } catch (error) {
      agent.reloadFailed();
      log.error('config reload failed, keeping the running one', { err: error });
      return { ok: false, message: `reload failed: ${(error as Error).message}` };
    }
  }

  private digest(): Promise<string | undefined> {
    return new Promise((resolve) =>
      readFile(this.options.file, (error, bytes) =>
        resolve(error ? undefined : createHash('sha256').update(bytes).digest('hex')),
      ),
    );
  }
}
