import { xorshiftRandom } from './reservoir';
import { HistorySlab } from './history-slab';
import { RttHistory } from './rtt-history';
import {
  DEFAULT_TARGET_LIMITS,
  TargetStatus,
  type ProbeKind,
  type TargetStatusLimits,
} from './target-status';
import { TargetFeed } from './target-feed';

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
   * RTT series (a target's ping, a knocked port) held at most: the cap on the whole store's memory
   * (each series' bytes are fixed, see docs/api.md); results of series past it are not kept, and
   * counted in `seriesRefused`. Default 25,000.
   */
  maxSeries?: number;
  /** Uniform integers in [0, bound) for the percentile samples; default a seeded xorshift. */
  random?: (bound: number) => number;
}

const DEFAULT_MAX_SERIES = 25_000;

/**
 * What the status page shows, kept in memory: per target, RTT history of ping and each knocked
 * port, the last trace round and path changes, recent errors. Fed by the probers, through a
 * TargetFeed per probed address, with the same results the metrics get; bounded per series by its
 * shape and on the whole by `maxSeries`.
 */
export class StatusStore {
  readonly now: () => number;
  readonly limits: TargetStatusLimits;
  private readonly targets = new Map<string, TargetStatus>();
  private readonly maxSeries: number;
  private readonly random: (bound: number) => number;
  private series = 0;
  /** Every series' history, in shared buffers (history-slab.ts); ping slots have no `open` field. */
  private readonly pingSlab: HistorySlab;
  private readonly knockSlab: HistorySlab;
  /** Results dropped because the store held maxSeries series already. */
  seriesRefused = 0;

  constructor(options: StatusStoreOptions = {}) {
    this.now = options.now ?? (() => Date.now() / 1000);
    this.limits = options.limits ?? DEFAULT_TARGET_LIMITS;
    this.maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    this.random = options.random ?? xorshiftRandom();
    this.pingSlab = new HistorySlab(this.limits.history, false);
    this.knockSlab = new HistorySlab(this.limits.history, true);
  }

  /**
   * The targets of the running config: the ones listed are kept (labels and probes brought up to
   * date), the others forgotten with their history; the feeds of those go quiet.
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
      status.removed = true;
      status.releaseHistory();
      this.targets.delete(name);
    }
  }

  /**
   * Where a prober hands the results of one target's address: made once when the probe starts, so
   * that a result costs no lookup. The target is added if the store does not hold it yet.
   */
  feed(target: StatusTarget, address: string): TargetFeed {
    let status = this.targets.get(target.name);
    if (!status) {
      status = new TargetStatus(target.name, target.labels, target.probes, this.limits);
      this.targets.set(target.name, status);
    }
    status.noteAddress(address);
    return new TargetFeed(this, status, address);
  }

  /** The target's name did not resolve: listed in its errors, and the target is down until it does. */
  resolveFailed(target: StatusTarget, message: string): void {
    const status = this.targets.get(target.name);
    status?.errors.push({ time: this.now(), probe: 'dns', address: '', reason: 'resolve', message });
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

  /** A new RTT series of a target's ping or of one knocked port, or undefined past maxSeries. */
  newHistory(probe: 'ping' | 'knock'): RttHistory | undefined {
    if (this.series >= this.maxSeries) {
      this.seriesRefused++;
      return undefined;
    }
    this.series++;
    const slab = probe === 'ping' ? this.pingSlab : this.knockSlab;
    return new RttHistory(this.limits.history, this.random, slab.take());
  }
}
