import type { MeterProvider } from '@opentelemetry/api';
import { ResponderBudget, sharedSockets, SocketPins, type SocketRegistry } from '../../probes';
import {
  DEFAULT_NATIVE_HISTOGRAMS,
  DEFAULT_TRACE_BUDGET,
  deepEqual,
  type Config,
  type ConfigDiff,
  type TargetConfig,
} from '../config';
import { silentLogger, type Logger } from '../logging';
import { ExporterMetrics, nativeHistogramOptions, type MetricStore } from '../metrics';
import { systemLookup, type LookupAll } from '../resolver';
import { Scheduler, systemClock, type Clock } from '../scheduler';
import { statusTarget, type StatusStore } from '../status';
import {
  availableIdentifiers,
  checkIdentifierCapacity,
  identifiersOf,
  type IdentifierCounts,
} from './capacity';
import { diffConfigInBatches, forEachInBatches, WATCH_BATCH } from './in-batches';
import { ProbeSet } from './probe-set';
import { socketStats } from './socket-stats';
import { TargetWatch, type WatchContext } from './target-watch';
import { ExporterError } from '../errors';

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
  /**
   * Open every raw socket the bind settings can need at start and never close them (ICMP, TCP, UDP,
   * both families): for a process about to give up its privileges. Default false: sockets open
   * when a probe first needs them. Then a reload that changes `bind` is rejected.
   */
  pinSockets?: boolean;
  /** The status page's store: fed every result, and told the targets of each config applied. Default none. */
  status?: StatusStore;
}

/** What a reload did, by target name. */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: number;
  /** bind, buckets or DNS settings changed: every target was restarted. */
  restartedAll: boolean;
}

export interface Agent {
  /** The config running now. */
  readonly config: Config;
  /**
   * Applies a new, already validated config: targets that did not change keep their jobs, state and
   * counters; removed targets stop and their series go; added and changed ones start.
   * All or nothing: a config that needs more than the process has (ICMP identifiers) is refused
   * with ERR_CAPACITY before anything changes, and a start that fails midway anyway is rolled back
   * to the running config (its targets, and netdiag_targets).
   */
  reload(config: Config): Promise<ReloadSummary>;
  /** Records a rejected config (the running one stays): netdiag_config_last_reload_successful 0. */
  reloadFailed(): void;
  /** Stops every schedule and leaves the raw sockets. Idempotent. */
  close(): Promise<void>;
}

/**
 * Runs the probes of a config: resolves every target, and schedules each enabled probe against
 * each of its addresses, recording into the given MeterProvider.
 */
export async function startAgent(options: AgentOptions): Promise<Agent> {
  const agent = new RunningAgent(options);
  await agent.start();
  return agent;
}

/** First wait before reopening a running config that could not be reopened; doubles per failure. */
const RECOVERY_FIRST_DELAY_MS = 1_000;
const RECOVERY_MAX_DELAY_MS = 60_000;

function summaryOf(diff: ConfigDiff, restartedAll: boolean): ReloadSummary {
  return {
    added: diff.added.map((t) => t.name),
    removed: diff.removed.map((t) => t.name),
    changed: diff.changed.map((c) => c.after.name),
    unchanged: diff.unchanged.length,
    restartedAll,
  };
}

/** One generation of the agent's machinery: replaced whole when bind, buckets or DNS settings change. */
interface Generation {
  readonly metrics: ExporterMetrics;
  readonly probes: ProbeSet;
  readonly scheduler: Scheduler;
  readonly watches: Map<string, TargetWatch>;
}

class RunningAgent implements Agent {
  config: Config;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly sockets: SocketRegistry;
  /** The routers' ICMP error budget of every paced trace (see ProbeSet), kept across generations. */
  private readonly budget = new ResponderBudget({ limits: DEFAULT_TRACE_BUDGET });
  private generation: Generation | undefined;
  private pins: SocketPins | undefined;
  private readonly pinWarnings = {
    onFamilySkipped: (_family: 6, error: unknown): void =>
      this.logger.warn('no IPv6 raw sockets: IPv6 targets will fail', { err: error }),
  };
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** Set while no generation runs because the running config could not be reopened (see recover()). */
  private recovery: { timer: unknown; delayMs: number } | undefined;

  constructor(private readonly options: AgentOptions) {
    this.config = options.config;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.sockets = options.sockets ?? sharedSockets;
  }

  async start(): Promise<void> {
    // Before any socket opens: a config too large fails the start whole, with nothing left running.
    checkIdentifierCapacity(this.config, availableIdentifiers(this.sockets, { 4: 0, 6: 0 }));
    if (this.options.pinSockets)
      this.pins = SocketPins.open(this.sockets, this.config.bind, this.pinWarnings);
    let opened: Generation | undefined;
    try {
      opened = await this.open(this.config);
      this.generation = this.run(opened, this.config);
    } catch (error) {
      if (opened) await this.shut(opened);
      this.pins?.release();
      throw error;
    }
    this.logger.info('agent started', { targets: this.config.targets.length });
  }

  reload(config: Config): Promise<ReloadSummary> {
    const run = this.queue.then(() => this.apply(config));
    this.queue = run.catch(() => undefined);
    return run;
  }

  reloadFailed(): void {
    this.generation?.metrics.configLoaded(false, Date.now() / 1000);
  }

  close(): Promise<void> {
    if (this.recovery) this.clock.clearTimeout(this.recovery.timer);
    return (this.closing ??= this.queue.then(async () => {
      const generation = this.generation;
      this.generation = undefined;
      if (generation) await this.shut(generation);
      this.pins?.release();
    }));
  }

  private async apply(config: Config): Promise<ReloadSummary> {
    if (this.closing) throw new ExporterError('ERR_CLOSED', 'the agent is closed');
    const generation = this.generation;
    // No generation runs (a rollback could not reopen the running config): the new config is
    // opened from scratch, which is what the retries of recover() would do with the old one.
    if (!generation) return this.replaceWhileDown(config);
    // Before anything changes; what the running targets hold is given back by those that stop.
    checkIdentifierCapacity(config, availableIdentifiers(this.sockets, this.identifiersHeld(generation)));
    // In batches, each apply step too: a large diff in one turn would hold the event loop (in-batches.ts).
    const diff = await diffConfigInBatches(this.config, config);
    const summary = summaryOf(diff, diff.globalChanged);
    if (diff.cardinalityLimitChanged) {
      this.logger.warn('cardinality_limit changed: it takes effect at restart', {
        running: this.config.cardinalityLimit,
        configured: config.cardinalityLimit,
      });
    }
    if (diff.globalChanged) {
      // Two generations never coexist (their series would be scraped twice); if the new one cannot
      // open (a bind interface gone), the old config is brought back up.
      let next: Generation;
      try {
        next = await this.openInstead(config, async () => {
          await this.shut(generation);
          this.generation = undefined;
        });
      } catch (error) {
        if (!this.generation) await this.reopenRunningConfig(error);
        throw error;
      }
      this.generation = this.run(next, config);
    } else {
      await generation.probes.ensure(config);
      const stopped = [...diff.removed, ...diff.changed.map((c) => c.before)];
      const started = [...diff.changed.map((c) => c.after), ...diff.added];
      try {
        await this.swap(generation, stopped, started, config);
      } catch (error) {
        // Back to the running config: the new targets go, the stopped ones start again.
        await this.swap(generation, started, stopped, this.config);
        this.countTargets(this.config, generation);
        throw error;
      }
      this.countTargets(config, generation);
      generation.metrics.configLoaded(true, Date.now() / 1000);
    }
    this.config = config;
    this.logger.info('config reloaded', {
      added: summary.added.length,
      removed: summary.removed.length,
      changed: summary.changed.length,
      unchanged: summary.unchanged,
      restarted_all: summary.restartedAll,
    });
    return summary;
  }

  /**
   * The rollback of a failed generation change: reopens the running config. If that fails too (what
   * broke the new config, a bind interface gone, breaks the old one), the agent stays up without a
   * generation, logs it, and retries until it opens or a reload brings a config that does.
   */
  private async reopenRunningConfig(reloadError: unknown): Promise<void> {
    try {
      this.generation = this.run(await this.open(this.config), this.config);
    } catch (error) {
      this.logger.error(
        'the running config could not be reopened after a failed reload: nothing is probed until it can',
        {
          err: new ExporterError('ERR_ROLLBACK_FAILED', 'reopening the running config failed', {
            cause: error,
          }),
          reload_error: (reloadError as Error).message,
        },
      );
      this.scheduleRecovery(RECOVERY_FIRST_DELAY_MS);
    }
  }

  private scheduleRecovery(delayMs: number): void {
    const timer = this.clock.setTimeout(() => {
      this.queue = this.queue.then(() => this.recover(delayMs)).catch(() => undefined);
    }, delayMs);
    this.recovery = { timer, delayMs };
  }

  /** One retry of reopening the running config; the delay doubles up to RECOVERY_MAX_DELAY_MS. */
  private async recover(delayMs: number): Promise<void> {
    if (this.closing || this.generation) return;
    this.recovery = undefined;
    try {
      this.generation = this.run(await this.open(this.config), this.config);
      this.logger.info('the running config was reopened: probing again', {
        targets: this.config.targets.length,
      });
    } catch (error) {
      this.logger.warn('the running config still cannot be opened: retrying', {
        err: error,
        retry_in_ms: Math.min(delayMs * 2, RECOVERY_MAX_DELAY_MS),
      });
      this.scheduleRecovery(Math.min(delayMs * 2, RECOVERY_MAX_DELAY_MS));
    }
  }

  /** A reload while no generation runs: opens `config` whole; on failure the retries go on. */
  private async replaceWhileDown(config: Config): Promise<ReloadSummary> {
    checkIdentifierCapacity(config, availableIdentifiers(this.sockets, { 4: 0, 6: 0 }));
    const diff = await diffConfigInBatches(this.config, config);
    const next = await this.openInstead(config, async () => undefined);
    if (this.recovery) this.clock.clearTimeout(this.recovery.timer);
    this.recovery = undefined;
    this.generation = this.run(next, config);
    this.config = config;
    this.logger.info('config reloaded: probing again', { targets: config.targets.length });
    return summaryOf(diff, true);
  }

  /**
   * Opens a generation for `config` in place of the running one, which `shutRunning` stops once the
   * new pins (for a changed bind) are open. On failure the old pins are back; on success they go.
   */
  private async openInstead(config: Config, shutRunning: () => Promise<void>): Promise<Generation> {
    const oldPins = this.pins;
    if (oldPins && !deepEqual(this.config.bind, config.bind)) this.pins = this.openPins(config);
    await shutRunning();
    let next: Generation;
    try {
      next = await this.open(config);
    } catch (error) {
      if (this.pins !== oldPins) {
        this.pins?.release();
        this.pins = oldPins;
      }
      throw error;
    }
    if (this.pins !== oldPins) oldPins?.release();
    return next;
  }

  /** Pins for a changed bind; a process that dropped its privileges can no longer open them. */
  private openPins(config: Config): SocketPins {
    try {
      return SocketPins.open(this.sockets, config.bind, this.pinWarnings);
    } catch (error) {
      throw new ExporterError(
        'ERR_RELOAD_NEEDS_RESTART',
        `bind changed and needs new raw sockets, which this process can no longer open ` +
          `(privileges dropped): restart the exporter to apply it (${(error as Error).message})`,
        { cause: error },
      );
    }
  }

  /** Stops the watches of `stop` (those running), then starts one per target of `start` under `config`. */
  private async swap(
    generation: Generation,
    stop: readonly TargetConfig[],
    start: readonly TargetConfig[],
    config: Config,
  ): Promise<void> {
    await forEachInBatches(stop, WATCH_BATCH, (target) => {
      const watch = generation.watches.get(target.name);
      if (watch?.target !== target) return;
      watch.stop();
      generation.watches.delete(target.name);
    });
    const context = this.context(config, generation);
    await forEachInBatches(start, WATCH_BATCH, (target) => {
      const watch = new TargetWatch(target, context);
      generation.watches.set(target.name, watch);
      watch.start();
    });
  }

  /** ICMP identifiers the generation's targets hold at most now, per family. */
  private identifiersHeld(generation: Generation): IdentifierCounts {
    const held: IdentifierCounts = { 4: 0, 6: 0 };
    for (const watch of generation.watches.values()) {
      const count = identifiersOf(watch.target);
      for (const { family } of watch.addresses) held[family === 'ipv4' ? 4 : 6] += count;
    }
    return held;
  }

  private async open(config: Config): Promise<Generation> {
    const metrics = new ExporterMetrics(this.options.meterProvider.getMeter('netdiag-exporter'), {
      histogramBuckets: config.histogramBuckets,
      nativeHistograms: nativeHistogramOptions(config.nativeHistograms ?? DEFAULT_NATIVE_HISTOGRAMS),
      ...(this.options.store && { store: this.options.store }),
      sockets: () => socketStats(this.sockets),
    });
    const probes = new ProbeSet(this.sockets, metrics, this.budget, this.options.status);
    try {
      await probes.ensure(config);
    } catch (error) {
      metrics.close();
      throw error;
    }
    return { metrics, probes, scheduler: new Scheduler(this.logger, this.clock), watches: new Map() };
  }

  /** Starts every target of `config` in a generation `open()` made. */
  private run(generation: Generation, config: Config): Generation {
    const { metrics } = generation;
    const context = this.context(config, generation);
    for (const target of config.targets)
      generation.watches.set(target.name, new TargetWatch(target, context));
    for (const watch of generation.watches.values()) watch.start();
    this.countTargets(config, generation);
    metrics.configLoaded(true, Date.now() / 1000);
    return generation;
  }

  private async shut(generation: Generation): Promise<void> {
    for (const watch of generation.watches.values()) watch.stop();
    generation.watches.clear();
    generation.scheduler.stopAll();
    generation.metrics.close();
    await generation.probes.close();
  }

  private context(config: Config, generation: Generation): WatchContext {
    return {
      config,
      logger: this.logger,
      clock: this.clock,
      lookup: this.options.lookup ?? systemLookup,
      scheduler: generation.scheduler,
      probers: generation.probes.probers,
      metrics: generation.metrics,
      status: this.options.status,
    };
  }

  private countTargets(config: Config, generation: Generation): void {
    this.options.status?.configure(config.targets.map(statusTarget));
    for (const name of ['ping', 'knock', 'trace'] as const) {
      const prober = generation.probes.probers.find((p) => p.name === name);
      const count = prober ? config.targets.filter((t) => prober.plansOf(t).length > 0).length : 0;
      generation.metrics.setTargets(name, count);
    }
  }
}
