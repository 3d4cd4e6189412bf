import type { MeterProvider } from '@opentelemetry/api';
import { Pinger, sharedSockets, type SocketRegistry } from '../../probes';
import type { Config, TargetConfig } from '../config';
import { silentLogger, type Logger } from '../logging';
import { ExporterMetrics, type MetricStore } from '../metrics';
import { PingProber } from '../probers';
import { systemLookup, TargetResolver, type LookupAll, type ResolvedAddress } from '../resolver';
import { Scheduler, systemClock, type Clock, type Prober } from '../scheduler';

export interface AgentOptions {
  config: Config;
  /** Where the instruments live: the exporter's own Prometheus pipeline, or any application's. */
  meterProvider: MeterProvider;
  /** The exporter's own metric store (createPrometheusPipeline's); default: instruments of meterProvider. */
  store?: MetricStore;
  /** Default: silent. */
  logger?: Logger;
  /** Default: the process-wide shared raw sockets. */
  sockets?: SocketRegistry;
  /** Default: the system resolver (getaddrinfo). */
  lookup?: LookupAll;
  clock?: Clock;
}

export interface Agent {
  readonly config: Config;
  /** Stops every schedule and leaves the raw sockets. Idempotent. */
  close(): Promise<void>;
}

/**
 * Runs the probes of a config: resolves every target, and schedules each enabled probe against
 * each of its addresses, recording into the given MeterProvider.
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { config } = options;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const sockets = options.sockets ?? sharedSockets;
  const pinger = await Pinger.create({ bind: config.bind, sockets });
  const metrics = new ExporterMetrics(options.meterProvider.getMeter('netdiag-exporter'), {
    histogramBuckets: config.histogramBuckets,
    ...(options.store && { store: options.store }),
    sockets: () => sockets.icmpSockets(),
  });
  metrics.configLoaded(true, Date.now() / 1000);
  const probers: Prober[] = [new PingProber(pinger, metrics)];
  for (const prober of probers) {
    metrics.setTargets(prober.name, config.targets.filter((t) => prober.plansOf(t).length > 0).length);
  }
  const scheduler = new Scheduler(logger, clock);
  const resolvers = config.targets.map((target) =>
    watchTarget(target, {
      config,
      logger,
      clock,
      lookup: options.lookup ?? systemLookup,
      scheduler,
      probers,
      metrics,
    }),
  );
  for (const resolver of resolvers) resolver.start();
  logger.info('agent started', { targets: config.targets.length });

  let closing: Promise<void> | undefined;
  return {
    config,
    close: () =>
      (closing ??= (async () => {
        for (const resolver of resolvers) resolver.stop();
        scheduler.stopAll();
        metrics.close();
        await pinger.close();
      })()),
  };
}

interface WatchContext {
  config: Config;
  logger: Logger;
  clock: Clock;
  lookup: LookupAll;
  scheduler: Scheduler;
  probers: Prober[];
  metrics: ExporterMetrics;
}

/** Keeps one target's jobs in step with the addresses its host resolves to. */
function watchTarget(target: TargetConfig, context: WatchContext): TargetResolver {
  const { scheduler, probers, metrics } = context;
  const log = context.logger.child({ target: target.name, host: target.host });
  let running: ResolvedAddress[] = [];
  return new TargetResolver(target, context.config.dns, context.lookup, context.clock, {
    onAddresses(addresses) {
      const kept = new Set(addresses.map((a) => a.address));
      for (const old of running) {
        if (kept.has(old.address)) continue;
        for (const prober of probers) scheduler.stop(prober.name, { target, address: old.address });
      }
      for (const next of addresses) {
        for (const prober of probers)
          scheduler.start(prober, { target, address: next.address, family: next.family });
      }
      running = addresses;
      metrics.setAddresses(target.name, { target: target.name }, addresses.length);
      log.info('target resolved', { addresses: addresses.map((a) => a.address).join(',') });
    },
    onFailure(error, retryIn) {
      for (const prober of probers) {
        if (prober.plansOf(target).length > 0) metrics.probeError(target.name, prober.name, 'resolve');
      }
      if (running.length === 0) metrics.setAddresses(target.name, { target: target.name }, 0);
      log.warn('cannot resolve target', { err: error, retry_in_s: retryIn, probing: running.length });
    },
  });
}
