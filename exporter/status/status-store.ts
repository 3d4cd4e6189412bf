import type { KnockResult, PingFailure, PingResult, TraceResult } from '../../probes';
import { xorshiftRandom } from './reservoir';
import { RttHistory } from './rtt-history';
import {
  DEFAULT_TARGET_LIMITS,
  TargetStatus,
  type ProbeKind,
  type TargetStatusLimits,
} from './target-status';
import { TraceView } from './trace-view';

/** A configured target, as the store needs it. */
export interface StatusTarget {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly probes: readonly ProbeKind[];
}

export interface StatusStoreOptions {
  /** Seconds since the epoch; default Date.now() / 1000. */
  now?: () => number;
  /** Per-target limits; default DEFAULT_TARGET_LIMITS. */
  limits?: TargetStatusLimits;
  /**
   * RTT series (a target's ping, a knocked port) held at most, the cap on the whole store's memory
   * (about `bytesPerSeries` each, see docs/api.md); results of series past it are not kept, and
   * counted in `seriesRefused`. Default 25,000.
   */
  maxSeries?: number;
  /** Uniform integers in [0, bound) for the percentile samples; default a seeded xorshift. */
  random?: (bound: number) => number;
}

const DEFAULT_MAX_SERIES = 25_000;

/**
 * What the status page shows, kept in memory: per target, RTT history of ping and each knocked
 * port, the last trace round and path changes, recent errors. Fed by the probers with the same
 * results the metrics get; bounded per series by its shape and on the whole by `maxSeries`.
 */
export class StatusStore {
  readonly now: () => number;
  private readonly targets = new Map<string, TargetStatus>();
  private readonly limits: TargetStatusLimits;
  private readonly maxSeries: number;
  private readonly random: (bound: number) => number;
  private series = 0;
  /** Results dropped because the store held maxSeries series already. */
  seriesRefused = 0;

  constructor(options: StatusStoreOptions = {}) {
    this.now = options.now ?? (() => Date.now() / 1000);
    this.limits = options.limits ?? DEFAULT_TARGET_LIMITS;
    this.maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    this.random = options.random ?? xorshiftRandom();
  }

  /**
   * The targets of the running config: the ones listed are kept (labels and probes brought up to
   * date), the others forgotten with their history.
   */
  configure(targets: readonly StatusTarget[]): void {
    const names = new Set<string>();
    for (const { name, labels, probes } of targets) {
      names.add(name);
      const status = this.targets.get(name);
      if (status) {
        status.labels = labels;
        status.probes = probes;
      } else this.targets.set(name, new TargetStatus(name, labels, probes, this.limits));
    }
    for (const [name, status] of this.targets) {
      if (names.has(name)) continue;
      this.series -= status.series;
      this.targets.delete(name);
    }
  }

  recordPing(target: StatusTarget, address: string, result: PingResult): void {
    const status = this.target(target, address);
    const history = (status.ping ??= this.newHistory());
    if (!history) return;
    const now = this.now();
    history.add(now, result.rtt);
    if (result.failure && result.failure.reason !== 'timeout')
      status.errors.push({ time: now, probe: 'ping', address, ...describe(result.failure) });
  }

  recordKnock(target: StatusTarget, address: string, port: number, result: KnockResult): void {
    const status = this.target(target, address);
    let history = status.knock.get(port);
    if (!history) {
      history = this.newHistory();
      if (!history) return;
      status.knock.set(port, history);
    }
    const now = this.now();
    history.add(now, result.rtt, result.state === 'open');
    if (result.failure && result.failure.reason !== 'timeout')
      status.errors.push({ time: now, probe: 'knock', address, ...describe(result.failure) });
  }

  recordTrace(target: StatusTarget, address: string, result: TraceResult): void {
    const status = this.target(target, address);
    const now = this.now();
    (status.trace ??= new TraceView(this.limits.pathChanges)).record(now, address, result);
    if (!result.reached)
      status.errors.push({
        time: now,
        probe: 'trace',
        address,
        reason: 'unreached',
        message: `the destination did not answer within ${result.hops.length} hops`,
      });
  }

  /** A probe that failed without a result (a trace round that threw, say). */
  recordError(
    target: StatusTarget,
    address: string,
    probe: ProbeKind,
    reason: string,
    message: string,
  ): void {
    const status = this.target(target, address);
    const now = this.now();
    if (probe === 'trace')
      (status.trace ??= new TraceView(this.limits.pathChanges)).recordFailure(now, address);
    status.errors.push({ time: now, probe, address, reason, message });
  }

  get(name: string): TargetStatus | undefined {
    return this.targets.get(name);
  }

  all(): IterableIterator<TargetStatus> {
    return this.targets.values();
  }

  get size(): number {
    return this.targets.size;
  }

  /** RTT series held now. */
  get seriesHeld(): number {
    return this.series;
  }

  /** Typed-array bytes of the RTT history (the bulk of the store; trace tables and errors aside). */
  get historyBytes(): number {
    let total = 0;
    for (const status of this.targets.values()) total += status.bytes;
    return total;
  }

  private target({ name, labels, probes }: StatusTarget, address: string): TargetStatus {
    let status = this.targets.get(name);
    if (!status) {
      status = new TargetStatus(name, labels, probes, this.limits);
      this.targets.set(name, status);
    }
    if (!status.addresses.has(address)) status.addresses.add(address);
    return status;
  }

  private newHistory(): RttHistory | undefined {
    if (this.series >= this.maxSeries) {
      this.seriesRefused++;
      return undefined;
    }
    this.series++;
    return new RttHistory(this.limits.history, this.random);
  }
}

function describe(failure: PingFailure): { reason: string; message: string } {
  switch (failure.reason) {
    case 'unreachable':
      return {
        reason: 'unreachable',
        message: `ICMP type ${failure.type} code ${failure.code} from ${failure.from}`,
      };
    case 'send':
      return { reason: 'send', message: failure.message };
    case 'timeout':
      return { reason: 'timeout', message: 'no answer within the timeout' };
  }
}
