import { isIP } from 'node:net';
import type { Config, TargetConfig } from '../config';
import type { Logger } from '../logging';
import type { ExporterMetrics } from '../metrics';
import { TargetResolver, type LookupAll, type ResolvedAddress } from '../resolver';
import type { Clock, Prober, Scheduler } from '../scheduler';
import { statusTarget, type StatusStore } from '../status';

export interface WatchContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly lookup: LookupAll;
  readonly scheduler: Scheduler;
  readonly probers: readonly Prober[];
  readonly metrics: ExporterMetrics;
  /** The status page's store, told of names that do not resolve; default none. */
  readonly status?: StatusStore | undefined;
}

/**
 * One target's jobs, kept in step with the addresses its host resolves to; stopping it stops the
 * jobs and drops every series of the target.
 */
export class TargetWatch {
  private running: ResolvedAddress[] = [];
  /** The target's static labels and name: the labels of its per-target series. */
  private readonly labels: Readonly<Record<string, string>>;
  private readonly resolver: TargetResolver;

  constructor(
    readonly target: TargetConfig,
    private readonly context: WatchContext,
  ) {
    const { metrics } = context;
    this.labels = { ...target.labels, target: target.name };
    const log = context.logger.child({ target: target.name, host: target.host });
    this.resolver = new TargetResolver(target, context.config.dns, context.lookup, context.clock, {
      onAddresses: (addresses) => {
        this.follow(addresses);
        // An address literal "resolves" to itself: not worth a line per target at info level.
        const level = isIP(target.host) === 0 ? 'info' : 'debug';
        log[level]('target resolved', { addresses: addresses.map((a) => a.address).join(',') });
      },
      onFailure: (error, retryIn) => {
        for (const prober of context.probers) {
          if (prober.plansOf(target).length > 0) metrics.probeError(target.name, prober.name, 'resolve');
        }
        if (this.running.length === 0) metrics.setAddresses(target.name, this.labels, 0);
        context.status?.resolveFailed(statusTarget(target), (error as Error).message);
        log.warn('cannot resolve target', { err: error, retry_in_s: retryIn, probing: this.running.length });
      },
    });
  }

  start(): void {
    // The error counters exist from the start, at 0, even while a slow name is still resolving:
    // rate() and increase() alerts then have a series to evaluate.
    for (const prober of this.context.probers)
      if (prober.plansOf(this.target).length > 0) this.context.metrics.probing(this.target.name, prober.name);
    this.resolver.start();
  }

  /** The addresses probed now. */
  get addresses(): readonly ResolvedAddress[] {
    return this.running;
  }

  stop(): void {
    this.resolver.stop();
    this.follow([]);
    this.context.metrics.forgetTarget(this.target.name);
  }

  private follow(addresses: ResolvedAddress[]): void {
    const { scheduler, probers, metrics } = this.context;
    const target = this.target;
    const kept = new Set(addresses.map((a) => a.address));
    for (const old of this.running) {
      if (kept.has(old.address)) continue;
      for (const prober of probers) scheduler.stop(prober.name, { target, address: old.address });
    }
    for (const next of addresses) {
      for (const prober of probers) {
        try {
          scheduler.start(prober, { target, address: next.address, family: next.family });
        } catch (error) {
          // One address that cannot start (its ICMP identifier, say) must not stop the others, nor
          // pass for a DNS failure: the agent's capacity check makes this rare, not impossible
          // (another user of the same sockets).
          metrics.probeError(target.name, prober.name, 'start');
          this.context.logger.error('cannot start probe', {
            target: target.name,
            address: next.address,
            probe: prober.name,
            code: (error as { code?: string }).code ?? 'ERR_UNKNOWN',
            err: error as Error,
          });
        }
      }
    }
    this.running = addresses;
    metrics.setAddresses(target.name, this.labels, addresses.length);
  }
}
