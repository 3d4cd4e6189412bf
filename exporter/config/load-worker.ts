// Entry point of a config worker thread (see worker-config-loader.ts): loads the file named in
// workerData with loadConfig, posts the config or its issues as one message, and ends.
import { parentPort, workerData } from 'node:worker_threads';
import { splitConfig } from './config-transfer';
import { ConfigError } from './issue';
import { loadConfig } from './load';
import { loadFailureOf, type LoadReply, type LoadRequest } from './load-worker-protocol';
import { ExporterError } from '../errors';

const port = parentPort;
if (!port) throw new ExporterError('ERR_INTERNAL', 'load-worker.js runs as a worker thread');
const { file } = workerData as LoadRequest;
const reply = (message: LoadReply): void => port.postMessage(message);

loadConfig(file).then(
  (config) => reply({ parts: splitConfig(config) }),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      const { issues, omitted, omittedAtLeast } = error;
      return reply({ issues, omitted, omittedAtLeast });
    }
    reply({ failure: loadFailureOf(error) });
  },
);
