import { createHash } from 'node:crypto';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import {
  ConfigError,
  formatPublicIssues,
  loadConfig,
  MAX_CONFIG_BYTES,
  readConfigFile,
  redactUrls,
  type Config,
} from '../config';
import { errorCode } from '../errors';
import { redactedErrorFields, type Logger } from '../logging';
import type { Agent } from './agent';

export type ReloadTrigger = 'signal' | 'http' | 'watch';

export interface ReloadOutcome {
  ok: boolean;
  /**
   * One line on success; on a rejected config, its first errors as FILE:LINE:COL: key.path: message
   * (no text of the file: the reply goes to unauthenticated clients), then how many more; on any
   * other failure, `reload failed (CODE): cause`.
   */
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
 *
 * reload() never rejects: whatever fails (a bad file, a worker that cannot start for lack of
 * descriptors, the agent refusing the config) is an outcome `{ ok: false }`, logged with its code and
 * counted in netdiag_config_last_reload_successful. Triggers that drop the promise (SIGHUP, the file
 * watch) therefore cannot leave an unhandled rejection, and a failure is never handed to a later request.
 */
export class ConfigReloader {
  private running: Promise<ReloadOutcome> | undefined;
  private next: Promise<ReloadOutcome> | undefined;
  private watching = false;
  private lastDigest: string | undefined;

  constructor(private readonly options: ConfigReloaderOptions) {}

  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (!this.running) {
      this.running = this.attempt(trigger).finally(() => (this.running = undefined));
      return this.running;
    }
    // attempt() never rejects, so the chain always runs the next reload and clears `next`.
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
      // reload() never rejects and digest() never rejects: nothing here can go unhandled.
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

  /** One reload; every failure, of any kind, becomes an outcome. */
  private async attempt(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const log = this.options.logger.child({ trigger });
    try {
      return await this.load(log);
    } catch (error) {
      this.failed();
      const code = errorCode(error);
      // err_code would repeat `code`: only the message and the causes are taken.
      const { err, err_cause } = redactedErrorFields(error, redactUrls);
      log.error('config reload failed, keeping the running one', {
        code,
        err,
        ...(err_cause !== undefined && { err_cause }),
      });
      return { ok: false, message: `reload failed (${code}): ${String(err)}` };
    }
  }

  private async load(log: Logger): Promise<ReloadOutcome> {
    const { file, agent } = this.options;
    let config: Config;
    try {
      config = await (this.options.load ?? loadConfig)(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.failed();
      const message = formatPublicIssues(error);
      log.error('config rejected, keeping the running one', {
        code: error.code,
        errors: error.issues.length + error.omitted,
        detail: message,
      });
      return { ok: false, message };
    }
    const summary = await agent.reload(config);
    this.lastDigest = await this.digest();
    return {
      ok: true,
      message:
        `config reloaded: ${summary.added.length} added, ${summary.removed.length} removed, ` +
        `${summary.changed.length} changed, ${summary.unchanged} unchanged`,
    };
  }

  /** Counts a failed reload; never throws (a closed agent has no gauge left to set). */
  private failed(): void {
    try {
      this.options.agent.reloadFailed();
    } catch {
      // Nothing to record into: the failure is still logged and answered.
    }
  }

  /** The hash of the file's bytes; undefined when it cannot be read (then the reload will say why). */
  private digest(): Promise<string | undefined> {
    // Bounded like the load itself: a path swapped for /dev/zero or a FIFO must not be read forever.
    return readConfigFile(this.options.file, { limit: MAX_CONFIG_BYTES }).then(
      (bytes) => createHash('sha256').update(bytes).digest('hex'),
      () => undefined,
    );
  }
}
