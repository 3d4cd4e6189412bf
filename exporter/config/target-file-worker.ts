// Entry point of a target file worker thread (see parse-off-thread.ts): parses the bytes in
// workerData with parseTargetFile, posts the targets or the issues as one message, and ends.
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from './issue';
import { loadFailureOf } from './load-worker-protocol';
import { parseTargetFile } from './target-file';
import type { TargetFileReply, TargetFileRequest } from './target-file-protocol';
import { ExporterError } from '../errors';

const port = parentPort;
if (!port) throw new ExporterError('ERR_INTERNAL', 'target-file-worker.js runs as a worker thread');
const { bytes, file, group } = workerData as TargetFileRequest;
const reply = (message: TargetFileReply): void => port.postMessage(message);

try {
  reply({ targets: parseTargetFile(Buffer.from(bytes), file, group) });
} catch (error) {
  if (error instanceof ConfigError) {
    const { issues, omitted, omittedAtLeast } = error;
    reply({ issues, omitted, omittedAtLeast });
  } else reply({ failure: loadFailureOf(error) });
}
