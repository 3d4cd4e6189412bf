import { parseArgs } from 'node:util';
import { ConfigReloader, startAgent } from '../agent';
import { ConfigError, formatIssue, loadConfig, parseDuration, type Config } from '../config';
import { usageError } from '../errors';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from '../logging';
import { createPrometheusPipeline, createScrapeHandler } from '../metrics';
import { ExporterServer, parseListenAddress } from '../server';

export const RUN_USAGE = `usage: netdiag-exporter [--config.file=FILE] [--web.listen-address=[HOST]:PORT]
                        [--log.level=debug|info|warn|error] [--log.format=logfmt|json] [--config.check]
                        [--config.watch-interval=DURATION]
  --config.file             YAML target list (default config.yaml)
  --web.listen-address      where /metrics, /-/healthy, /-/ready and POST /-/reload are served (default :9469)
  --log.level               default info
  --log.format              default logfmt
  --config.check            validate the config file, print every error, and exit (0 valid, 1 invalid)
  --config.watch-interval   reload when the file's content changes, checked this often (default 0s: off;
                            SIGHUP and POST /-/reload always reload)`;

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
      'config.watch-interval': { type: 'string', default: '0s' },
    },
  });
  const level = values['log.level'] as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw usageError(`--log.level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  const format = values['log.format'] as LogFormat;
  if (format !== 'logfmt' && format !== 'json')
    throw usageError(`--log.format: "${format}" is not logfmt or json`);
  const file = values['config.file'];
  const watchInterval = parseWatchInterval(values['config.watch-interval']);

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
  const reloader = new ConfigReloader({ file, agent, logger });
  let server: ExporterServer;
  try {
    server = await ExporterServer.listen({
      listen,
      logger,
      metrics: createScrapeHandler(pipeline.exporter),
      reload: () => reloader.reload('http'),
    });
  } catch (error) {
    await agent.close();
    await pipeline.shutdown();
    throw error;
  }
  const onHangup = (): void => void reloader.reload('signal');
  process.on('SIGHUP', onHangup);
  if (watchInterval > 0) reloader.watch(watchInterval * 1000);
  logger.info('netdiag-exporter started', { config: file, targets: config.targets.length });

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info('shutting down');
  process.off('SIGHUP', onHangup);
  reloader.close();
  await server.close();
  await agent.close();
  await pipeline.shutdown();
  return 0;
}

function parseWatchInterval(text: string): number {
  const seconds = parseDuration(text);
  if (seconds !== undefined) return seconds;
  throw usageError(`--config.watch-interval: "${text}" is not a duration such as 0s, 5s or 1m`);
}
