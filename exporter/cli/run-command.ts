import { hostname } from 'node:os';
import {
  checkIdentifierCapacity,
  checkTargetFiles,
  ConfigReloader,
  ICMP_IDENTIFIERS_PER_FAMILY,
  startAgent,
  startWithTargetFiles,
} from '../agent';
import {
  ConfigError,
  formatIssues,
  formatPublicIssues,
  parseDuration,
  redactUrl,
  redactUrls,
  selectShard,
  WorkerConfigLoader,
  type Config,
  type Shard,
} from '../config';
import { errorCode, ExporterError, usageError } from '../errors';
import {
  createLogger,
  LOG_LEVELS,
  LogRateLimiter,
  redactedErrorFields,
  type LogFormat,
  type Logger,
  type LogLevel,
} from '../logging';
import {
  createPrometheusPipeline,
  createScrapeHandler,
  observeHttpConnections,
  observeLogSuppression,
} from '../metrics';
import {
  CONNECTION_LIMIT_DEFAULTS,
  ExporterServer,
  parseListenAddress,
  WebProtection,
  type ListenAddress,
} from '../server';
import { checkBindOnHost } from '../config/bind-on-host';
import { observeBuildInfo } from '../metrics/build-info';
import { listenError } from './listen-error';
import { TeardownStack } from './teardown-stack';
import { agentInstanceName, agentResource } from './agent-resource';
import { resolveOtlpSettings } from './otlp-settings';
import { buildIdentity } from './build-identity';
import { dropPrivileges, lookupAccount, type Account } from './privileges';
import { warnUnreadableAfterSwitch } from './readable-after-switch';
import { resolveShard } from './shard-flags';
import { parseMaxConnections } from './web-flags';
import { openStatusPage } from '../status';
import { parseFlags } from './parse-flags';
import { checkWebConfigFile } from './web-config-check';

/** What shutdown may take beyond the HTTP close deadline and the last OTLP push. */
const SHUTDOWN_MARGIN_MS = 5_000;

export const RUN_USAGE = `usage: netdiag-exporter [--config.file=FILE] [--web.listen-address=[HOST]:PORT]
                        [--log.level=debug|info|warn|error] [--log.format=logfmt|json] [--config.check]
                        [--config.watch-interval=DURATION] [--user=USER] [--web.config.file=FILE]
                        [--web.max-connections=N] [--web.disable-status-page]
                        [--shard.index=I | --shard.from-hostname] [--shard.count=N]
  --config.file             YAML target list (default config.yaml)
  --web.listen-address      where /metrics, /-/healthy, /-/ready and POST /-/reload are served (default :9469);
                            off: no HTTP server, push over OTLP only (needs an otlp block or OTEL_EXPORTER_OTLP_ENDPOINT)
  --web.config.file         TLS and basic auth for every endpoint, in Prometheus exporter-toolkit's
                            web config format (default none: plain HTTP, no auth)
  --web.max-connections     HTTP connections open at once; at the cap the oldest one without a request
                            in flight is closed to make room (default: a quarter of the open-file
                            limit, at most 512; the rest stays for raw sockets, probes and reloads)
  --web.disable-status-page serve no status page and no /api/v1 (GET / is then a page of links)
  --log.level               default info
  --log.format              default logfmt
  --config.check            validate the config file (and --web.config.file when given, certificates
                            included), print every error, and exit (0 valid, 1 invalid)
  --config.watch-interval   reload when the file's content changes, checked this often (default 0s: off;
                            SIGHUP and POST /-/reload always reload)
  --user                    started as root: the user to switch to once the raw sockets are open and
                            the port is bound (name, UID or UID:GID; default nobody; --user= stays root)
  --shard.index             probe only the targets of shard I of N, 0 <= I < N, by a stable hash of the target
                            name (default: NETDIAG_SHARD_INDEX; no sharding when neither is set)
  --shard.count             N replicas split the target list (default: NETDIAG_SHARD_COUNT)
  --shard.from-hostname     the shard index is the -<n> suffix of POD_NAME, HOSTNAME or the host name
                            (a StatefulSet pod's ordinal)`;

export interface RunIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Ends the process when shutdown overran its deadline; default process.exit. */
  exit?: (code: number) => void;
}

/** The exporter's main job (or --config.check). Resolves with the exit code once stopped by `signal`. */
export async function runCommand(argv: string[], io: RunIo, signal: AbortSignal): Promise<number> {
  const flags = parseRunFlags(argv);
  const logLimit = new LogRateLimiter();
  const logger = createLogger({
    level: flags.level,
    format: flags.format,
    write: io.err,
    rateLimit: logLimit,
  });
  // Everything opened from here on defers its close to this one stack, unwound once on every path.
  const teardown = new TeardownStack();
  const shutdown = { deadlineMs: CONNECTION_LIMIT_DEFAULTS.closeTimeoutMs + SHUTDOWN_MARGIN_MS, logger };
  let early: number | undefined;
  try {
    early = await startExporter(flags, { io, logger, logLimit, teardown, shutdown });
  } catch (error) {
    // A failed start leaves nothing behind (no half-alive process without HTTP or probing): main exits 2.
    await teardown.unwind(shutdown);
    throw error;
  }
  if (early !== undefined) {
    await teardown.unwind(shutdown);
    return early;
  }
  const fatal = await untilStopped(signal);
  if (fatal) logger.error('fatal error: shutting down', { code: 'ERR_INTERNAL', err: fatal });
  else logger.info('shutting down');
  // Each step is bounded on its own (the HTTP close destroys every connection at its deadline); the
  // overall deadline catches what is not, so that SIGTERM always ends the process.
  const outcome = await teardown.unwind(shutdown);
  if (outcome === 'timeout') (io.exit ?? process.exit)(1);
  if (fatal) return INTERNAL_ERROR_EXIT;
  return outcome === 'done' ? 0 : 1;
}

/** main's exit code for a bug (EX_SOFTWARE), as for an error that escapes the command. */
const INTERNAL_ERROR_EXIT = 70;

/**
 * Resolves once `signal` aborts (undefined), or with the first exception nothing caught while the
 * exporter runs: such a fatal error ends it through the same teardown as SIGTERM (the port
 * released, the last OTLP push sent, the raw sockets closed) rather than killing it with them
 * open. Only the first is caught: another one during the teardown ends the process as Node does.
 */
function untilStopped(signal: AbortSignal): Promise<Error | undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const onFatal = (error: Error): void => {
      signal.removeEventListener('abort', onAbort);
      resolve(error);
    };
    const onAbort = (): void => {
      process.off('uncaughtException', onFatal);
      resolve(undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    process.once('uncaughtException', onFatal);
  });
}

interface RunFlags {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly file: string;
  readonly check: boolean;
  readonly listen: ListenAddress | undefined;
  readonly webConfigFile: string | undefined;
  readonly maxConnections: number | undefined;
  readonly statusPage: boolean;
  readonly watchInterval: number;
  readonly account: Account | undefined;
  readonly instance: string;
  readonly shard: Shard | undefined;
}

function parseRunFlags(argv: string[]): RunFlags {
  const { values } = parseFlags(
    {
      args: argv,
      strict: true,
      options: {
        'config.file': { type: 'string', default: 'config.yaml' },
        'config.check': { type: 'boolean', default: false },
        'web.listen-address': { type: 'string', default: ':9469' },
        'web.config.file': { type: 'string' },
        'web.max-connections': { type: 'string' },
        'web.disable-status-page': { type: 'boolean', default: false },
        'log.level': { type: 'string', default: 'info' },
        'log.format': { type: 'string', default: 'logfmt' },
        'config.watch-interval': { type: 'string', default: '0s' },
        user: { type: 'string' },
        'shard.index': { type: 'string' },
        'shard.count': { type: 'string' },
        'shard.from-hostname': { type: 'boolean', default: false },
      },
    },
    '--help',
  );
  const level = values['log.level'] as LogLevel;
  if (!LOG_LEVELS.includes(level))
    throw usageError(`--log.level: "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  const format = values['log.format'] as LogFormat;
  if (format !== 'logfmt' && format !== 'json')
    throw usageError(`--log.format: "${format}" is not logfmt or json`);
  const listenText = values['web.listen-address'];
  const instance = agentInstanceName(process.env, hostname());
  return {
    level,
    format,
    file: values['config.file'],
    check: values['config.check'],
    listen: listenText === 'off' ? undefined : parseListenAddress(listenText),
    webConfigFile: values['web.config.file'],
    maxConnections: parseMaxConnections(values['web.max-connections']),
    statusPage: !values['web.disable-status-page'],
    watchInterval: parseWatchInterval(values['config.watch-interval']),
    account: accountToRun(values.user),
    instance,
    shard: resolveShard(
      {
        index: values['shard.index'],
        count: values['shard.count'],
        fromHostname: values['shard.from-hostname'],
      },
      process.env,
      instance,
    ),
  };
}

/** --config.check of the --web.config.file, if any: prints its problems; whether it is valid. */
async function reportWebConfig(flags: RunFlags, io: RunIo): Promise<boolean> {
  if (flags.webConfigFile === undefined) return true;
  const problems = await checkWebConfigFile(flags.webConfigFile);
  if (problems === undefined) {
    io.out(`${flags.webConfigFile}: valid web config`);
    return true;
  }
  io.err(problems);
  return false;
}

interface StartContext {
  readonly io: RunIo;
  readonly logger: Logger;
  readonly logLimit: LogRateLimiter;
  readonly teardown: TeardownStack;
  /** Its deadline grows by the OTLP push timeout once that is known. */
  readonly shutdown: { deadlineMs: number };
}

/**
 * Loads the config, then opens in order: the metrics pipeline, the HTTP port (first, so that a port
 * in use stops the start before any probe is sent), the agent and its raw sockets, the switch of
 * user, reloads. Each defers its close to `teardown`. Resolves with an exit code when the command
 * ends before serving (--config.check, an invalid config), else undefined once everything runs.
 */
async function startExporter(flags: RunFlags, context: StartContext): Promise<number | undefined> {
  const { io, logger, teardown } = context;
  const { file, shard } = flags;
  const env = process.env;
  // Parsing a large file takes seconds of CPU: off the event loop, which times the probes on reloads.
  const loader = new WorkerConfigLoader();
  teardown.defer('config loader', () => loader.close());
  // Checked where the exporter runs, at start and on each reload: bind addresses this host lacks.
  const load = async (f: string): Promise<Config> => {
    const loaded = await loader.load(f);
    await checkBindOnHost(loaded);
    return loaded;
  };
  let config: Config;
  try {
    config = await load(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      // The worker could not run (EMFILE, out of memory): one line and exit 2, nothing started.
      throw new ExporterError(
        'ERR_CONFIG_LOAD',
        `cannot load ${file} (${errorCode(error)}): ${redactUrls((error as Error).message)}`,
        { cause: error },
      );
    }
    // --config.check is asked for by someone who may read the file; a start's errors go to logs,
    // which must not carry the text of whatever file the path points at.
    io.err(flags.check ? formatIssues(error) : formatPublicIssues(error));
    // The web config is checked too: one run names every problem of both files.
    if (flags.check) await reportWebConfig(flags, io);
    // A start refused for its config is a setup error, as a bad web config or flag: exit 2, which
    // a service manager can tell from a crash (the systemd unit does not restart on it).
    return flags.check ? 1 : 2;
  }
  // Before anything starts (and in --config.check): a config this process could not run whole is
  // refused with one line, rather than started in part.
  const full = { 4: ICMP_IDENTIFIERS_PER_FAMILY, 6: ICMP_IDENTIFIERS_PER_FAMILY };
  try {
    checkIdentifierCapacity(shard ? selectShard(config, shard) : config, full);
  } catch (error) {
    if (!flags.check) throw error;
    io.err((error as Error).message);
    return 1;
  }
  if (flags.check) {
    // Both files are checked before the verdict, so that one run reports every problem.
    const webValid = await reportWebConfig(flags, io);
    if (!config.targetGroups) {
      if (!webValid) return 1;
      io.out(`${file}: valid, ${config.targets.length} target(s)`);
      return 0;
    }
    const checked = await checkTargetFiles(config);
    if (checked.problems.length > 0) {
      io.err(checked.problems.join('\n'));
      return 1;
    }
    if (!webValid) return 1;
    io.out(`${file}: valid, ${checked.targets} target(s), ${checked.files} target file(s)`);
    return 0;
  }

  const { listen } = flags;
  const otlp = resolveOtlpSettings(config.otlp, env);
  if (!listen && !otlp)
    throw usageError(
      '--web.listen-address=off leaves no way to export: add an otlp block or set OTEL_EXPORTER_OTLP_ENDPOINT',
    );
  context.shutdown.deadlineMs += otlp?.timeoutMs ?? 0;
  // A bad web config: exit 2 with every problem (as key paths, no text of the file), before anything starts.
  let protection: WebProtection | undefined;
  try {
    protection = flags.webConfigFile
      ? await WebProtection.load({ file: flags.webConfigFile, logger })
      : undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // As for the main config: no text of the file in what is logged.
    throw new ExporterError('ERR_CONFIG', formatPublicIssues(error), { cause: error });
  }
  const pipeline = createPrometheusPipeline({
    cardinalityLimit: config.cardinalityLimit,
    resource: agentResource({
      env,
      hostname: flags.instance,
      version: buildIdentity().version,
      ...(config.otlp && { configured: config.otlp.resourceAttributes }),
      ...(shard && { shard }),
    }),
    ...(otlp && {
      otlp: {
        ...otlp,
        onError: (err: Error) =>
          logger.warn('OTLP push failed', {
            url: redactUrl(otlp.url),
            ...redactedErrorFields(err, redactUrls),
          }),
      },
    }),
  });
  teardown.defer('metrics pipeline', () => pipeline.shutdown());
  const meter = pipeline.meterProvider.getMeter('netdiag-exporter');
  observeLogSuppression(meter, pipeline.store, (level) => context.logLimit.suppressed(level));
  const { version, revision, nodeVersion } = buildIdentity();
  observeBuildInfo(meter, pipeline.store, { version, revision, nodejs_version: nodeVersion });
  if (otlp) {
    for (const warning of otlp.warnings) logger.warn(redactUrls(warning));
    logger.info('OTLP push enabled', {
      url: redactUrl(otlp.url),
      interval_ms: otlp.intervalMs,
      timeout_ms: otlp.timeoutMs,
      url_from: otlp.sources.url,
      interval_from: otlp.sources.interval,
      timeout_from: otlp.sources.timeout,
    });
  }
  // The resource and the OTLP reader are built once: a changed otlp block waits for a restart.
  const startOtlp = JSON.stringify(config.otlp);
  const select = (next: Config): Config => {
    if (JSON.stringify(next.otlp) !== startOtlp)
      logger.warn('the otlp block changed: it takes effect at restart, the running push is unchanged');
    return shard ? selectShard(next, shard) : next;
  };

  // The port first: a port in use is one line and exit 2 before any probe goes out. Until the
  // agent runs, /-/ready answers 503 and a reload is refused.
  let reloader: ConfigReloader | undefined = undefined;
  let server: ExporterServer | undefined;
  // Kept across reloads (the agent tells it each config's targets), so a reload keeps the graphs.
  const status = listen && flags.statusPage ? openStatusPage(logger, { version, reload: true }) : undefined;
  if (listen) {
    try {
      server = await ExporterServer.listen({
        listen,
        logger,
        metrics: createScrapeHandler(pipeline, { logger }),
        reload: () =>
          reloader?.reload('http') ??
          Promise.resolve({ ok: false, message: 'starting: the agent is not running yet' }),
        ready: () => reloader !== undefined,
        ...(protection && { protection }),
        connections: flags.maxConnections === undefined ? {} : { maxConnections: flags.maxConnections },
        ...(status && { status: status.routes }),
      });
    } catch (error) {
      throw listenError(error, listen);
    }
    const web = server;
    teardown.defer('HTTP server', () => web.close());
    observeHttpConnections(meter, pipeline.store, () => web.connectionStats());
  }
  // The config's targets and those of its target groups' files, kept in step with the files.
  const agent = await startWithTargetFiles({
    config,
    finish: select,
    logger,
    meter,
    store: pipeline.store,
    startAgent: (composed) =>
      startAgent({
        config: composed,
        meterProvider: pipeline.meterProvider,
        store: pipeline.store,
        logger,
        // After the switch no raw socket could be opened again: open them all now, keep them open.
        pinSockets: flags.account !== undefined,
        ...(status && { status: status.store }),
      }),
  });
  teardown.defer('agent', () => agent.close());
  // On the way down, before the agent drops its series: the server stops taking scrapes, then the
  // last OTLP push carries the final values (both closes are idempotent: their own steps, run
  // later, are no-ops then; on a failed start, only those run).
  teardown.defer('HTTP server and last OTLP push', async () => {
    await server?.close();
    await pipeline.shutdown();
  });
  if (flags.account) {
    dropPrivileges(flags.account);
    const { name, uid, gid } = flags.account;
    logger.info('switched user', { user: name, uid, gid });
    warnUnreadableAfterSwitch(
      [
        { file, what: 'the config file', effect: 'every reload will fail until it is' },
        ...(flags.webConfigFile === undefined
          ? []
          : [
              {
                file: flags.webConfigFile,
                what: 'the web config file',
                effect: 'its changes and renewed certificates will not be picked up',
              },
            ]),
      ],
      flags.account,
      logger,
    );
  }
  // Sharding is the target files' `finish`: it selects among the files' targets too.
  const running = new ConfigReloader({ file, agent, logger, load });
  reloader = running;
  teardown.defer('config reloads', () => running.close());
  // reload() never rejects: each failure is an outcome, logged and counted by the reloader.
  const onHangup = (): void => void running.reload('signal');
  process.on('SIGHUP', onHangup);
  teardown.defer('SIGHUP handler', () => process.off('SIGHUP', onHangup));
  if (flags.watchInterval > 0) running.watch(flags.watchInterval * 1000);
  logger.info('netdiag-exporter started', {
    config: file,
    targets: agent.config.targets.length,
    ...(shard && { shard: `${shard.index}/${shard.count}`, targets_in_file: config.targets.length }),
  });
  return undefined;
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
