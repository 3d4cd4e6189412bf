import { parseArgs } from 'node:util';
import { ConfigReloader, startAgent } from '../agent';
import { ConfigError, formatIssue, loadConfig, parseDuration, type Config } from '../config';
import { usageError } from '../errors';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from '../logging';
import { createPrometheusPipeline, createScrapeHandler } from '../metrics';
import { ExporterServer, parseListenAddress } from '../server';
import { dropPrivileges, lookupAccount, type Account } from './privileges';

export const RUN_USAGE = `usage: netdiag-exporter [--config.file=FILE] [--web.listen-address=[HOST]:PORT]
                        [--log.level=debug|info|warn|error] [--log.format=logfmt|json] [--config.check]
                        [--config.watch-interval=DURATION] [--user=USER]
  --config.file             YAML target list (default config.yaml)
  --web.listen-address      where /metrics, /-/healthy, /-/ready and POST /-/reload are served (default :9469)
  --log.level               default info
  --log.format              default logfmt
  --config.check            validate the config file, print every error, and exit (0 valid, 1 invalid)
  --config.watch-interval   reload when the file's content changes, checked this often (default 0s: off;
                            SIGHUP and POST /-/reload always reload)
  --user                    started as root: the user to switch to once the raw sockets are open and
                            the port is bound (name, UID or UID:GID; default nobody; --user= stays root)`;

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
      user: { type: 'string' },
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
  const account = accountToRun(values.user);

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
    // After the switch no raw socket could be opened again: open them all now, keep them open.
    pinSockets: account !== undefined,
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
  if (account) {
    try {
      dropPrivileges(account);
    } catch (error) {
      await server.close();
      await agent.close();
      await pipeline.shutdown();
      throw error;
    }
    logger.info('switched user', { user: account.name, uid: account.uid, gid: account.gid });
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

/** The account to switch to: only when running as root, `nobody` unless told otherwise. */
function accountToRun(spec: string | undefined): Account | undefined {
  if (spec === '') return undefined;
  if (process.geteuid?.() !== 0) {
    if (spec === undefined) return undefined;
    throw usageError(`--user: switching to "${spec}" needs root; not running as root, leave --user unset`);
  }
  return lookupAccount(spec ?? 'nobody');
}

function parseWatchInterval(text: string): number {
  const seconds = parseDuration(text);
  if (seconds !== undefined) return seconds;
  throw usageError(`--config.watch-interval: "${text}" is not a duration such as 0s, 5s or 1m`);
}
