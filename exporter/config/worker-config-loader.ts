import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { joinConfig, type KnownTargets } from './config-transfer';
import { ExporterError } from '../errors';
import { ConfigError } from './issue';
import { loadErrorOf, type LoadReply, type LoadRequest } from './load-worker-protocol';
import type { Config } from './types';

const WORKER_SCRIPT = path.join(__dirname, 'load-worker.js');

/**
 * loadConfig on a worker thread: reading, parsing and validating a large file (its cost: bench/results.md,
 * "Reload stall") never blocks the caller's event loop, where probes are timestamped; the result
 * comes back a few hundred targets per turn. Same outcome as loadConfig: a deep-frozen Config equal
 * to its, or a ConfigError with the same issues (any other failure rejects with ERR_CONFIG_LOAD, its cause carrying the worker's code).
 * Targets unchanged since the previous load come back as the same objects (see joinConfig).
 *
 * Each load runs in a worker of its own, which ends once it has answered: no memory is held between
 * reloads (a kept worker would hold its heap between reloads to save the start of one per load; both
 * measured in bench/results.md, "Reload stall"). A load in flight keeps the process alive like any pending
 * I/O; an idle loader holds no thread. close() terminates the loads in flight (they reject).
 */
export class WorkerConfigLoader {
  private readonly workers = new Set<Worker>();
  private known: KnownTargets = new Map();
  private closing: Promise<void> | undefined;

  load(file: string): Promise<Config> {
    if (this.closing) return Promise.reject(new ExporterError('ERR_CLOSED', 'the config loader is closed'));
    return new Promise<Config>((resolve, reject) => {
      // A Worker that cannot start (EMFILE, ENOMEM) throws here: the load rejects, like any other failure.
      const worker = new Worker(WORKER_SCRIPT, { workerData: { file } satisfies LoadRequest });
      this.workers.add(worker);
      let answered = false;
      worker.once('message', (reply: LoadReply) => {
        answered = true;
        this.settle(reply).then(resolve, reject);
      });
      worker.once('error', (error) => {
        answered = true;
        reject(new ExporterError('ERR_CONFIG_LOAD', `config worker: ${error.message}`, { cause: error }));
      });
      worker.once('exit', (code) => {
        this.workers.delete(worker);
        if (answered) return;
        reject(
          this.closing
            ? new ExporterError('ERR_CLOSED', 'the config loader is closed')
            : new ExporterError(
                'ERR_CONFIG_LOAD',
                `the config worker exited with code ${code} before answering`,
              ),
        );
      });
    });
  }

  /** Terminates the workers of loads in flight, which reject; later loads reject at once. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= Promise.all([...this.workers].map((worker) => worker.terminate())).then(
      () => undefined,
    ));
  }

  private async settle(reply: LoadReply): Promise<Config> {
    if ('issues' in reply)
      throw new ConfigError(reply.issues, { omitted: reply.omitted, omittedAtLeast: reply.omittedAtLeast });
    if ('failure' in reply) throw loadErrorOf(reply.failure);
    const { config, known } = await joinConfig(reply.parts, this.known);
    this.known = known;
    return config;
  }
}
