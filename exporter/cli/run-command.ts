import { parseArgs } from 'node:util';
import { startAgent } from '../agent';
import { ConfigError, formatIssue, loadConfig, type Config } from '../config';
import { usageError } from '../errors';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from '../logging';
import { createPrometheusPipeline, createScrapeHandler } from '../metrics';
import { ExporterServer, parseListenAddress } from '../server';

export const RUN_USAGE = `usage: netdiag-exporter [--config.file=FILE] [--web.listen-address=[HOST]:PORT]
                        [--log.level=debug|info|warn|error] [--log.format=logfmt|json] [--config.check]
  --config.file          YAML target list (default config.yaml)
  --web.listen-address   where /metrics and /-/healthy are served (default :9469)
  --log.level            default info
  --log.format           default logfmt
  --config.check         validate the config file, print every error, and exit (0 valid, 1 invalid)`;

export interface RunIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The exporter's main job (or --config.check). Resolves with the exit code once stopped by `signal`. */
export async function runCommand(argv: string[], io: RunIo, signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'config.file': { type: 'string', default: 'config.yaml' },
      'config.check': { type: 'boolean', default: false },
      'web.listen-address': { type: 'string', default: ':9469' },
      'log.level': { type: 'string', default: 'info' },
      'log.format': { type: 'string', default: 'logfmt' },
    },
  });
  const level = values['log.level'] as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw usageError(`--log.level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  const format = values['log.format'] as LogFormat;
  if (format !== 'logfmt' && format !== 'json')
    throw usageError(`--log.format: "${format}" is not logfmt or json`);
  const file = values['config.file'];

  let config: Config;
  try {
    config = await loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) io.err(formatIssue(issue));
    return 1;
  }
  if (values['config.check']) {
    io.out(`${file}: valid, ${config.targets.length} target(s)`);
    return 0;
  }

  const listen = parseListenAddress(values['web.listen-address']);
  const logger = createLogger({ level, format, write: io.err });
  const pipeline = createPrometheusPipeline({ cardinalityLimit: config.cardinalityLimit });
  const agent = await startAgent({
    config,
    meterProvider: pipeline.meterProvider,
    store: pipeline.store,
    logger,
  });
  let server: ExporterServer;
  try {
    server = await ExporterServer.listen({
      listen,
      logger,
      metrics: createScrapeHandler(pipeline.exporter),
    });
  } catch (error) {
    await agent.close();
    await pipeline.shutdown();
    throw error;
  }
  logger.info('netdiag-exporter started', { config: file, targets: config.targets.length });

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info('shutting down');
  await server.close();
  await agent.close();
  await pipeline.shutdown();
  return 0;
}
