import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ExporterError } from '../errors';
import { deepFreeze } from './freeze';
import { ConfigError } from './issue';
import { loadErrorOf } from './load-worker-protocol';
import { type FileTarget, parseTargetFile } from './target-file';
import type { TargetFileReply, TargetFileRequest } from './target-file-protocol';
import type { TargetGroupConfig } from './types';

const WORKER_SCRIPT = path.join(__dirname, 'target-file-worker.js');

/**
 * Files up to this size are parsed on the calling thread: a worker's start costs more than they do.
 * Larger ones hold the event loop, where probes are timestamped, for as long as the parse takes
 * (bench/results.md, "Target files").
 */
const OFF_THREAD_BYTES = 64 * 1024;

/**
 * parseTargetFile, on a worker thread of its own for a large file, as WorkerConfigLoader does for the
 * config: the same targets (deep-frozen) or the same ConfigError. Any other failure of the worker
 * (EMFILE, ENOMEM) rejects with ERR_CONFIG_LOAD, its cause carrying the worker's code.
 */
export function parseTargetFileOffThread(
  bytes: Buffer,
  file: string,
  group: TargetGroupConfig,
): Promise<FileTarget[]> {
  if (bytes.length <= OFF_THREAD_BYTES)
    return Promise.resolve().then(() => parseTargetFile(bytes, file, group));
  return new Promise<FileTarget[]>((resolve, reject) => {
    const copy = new Uint8Array(bytes);
    const request: TargetFileRequest = { bytes: copy, file, group };
    const worker = new Worker(WORKER_SCRIPT, { workerData: request, transferList: [copy.buffer] });
    let answered = false;
    worker.once('message', (reply: TargetFileReply) => {
      answered = true;
      if ('targets' in reply) resolve(reply.targets.map((target) => deepFreeze(target)));
      else if ('issues' in reply)
        reject(
          new ConfigError(reply.issues, { omitted: reply.omitted, omittedAtLeast: reply.omittedAtLeast }),
        );
      else reject(loadErrorOf(reply.failure));
    });
    worker.once('error', (error) => {
      answered = true;
      reject(new ExporterError('ERR_CONFIG_LOAD', `target file worker: ${error.message}`, { cause: error }));
    });
    worker.once('exit', (code) => {
      if (!answered)
        reject(
          new ExporterError(
            'ERR_CONFIG_LOAD',
            `the target file worker exited with code ${code} before answering`,
          ),
        );
    });
  });
}
