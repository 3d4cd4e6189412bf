import { DEFAULT_HISTORY_SHAPE, RttHistory, type HistoryShape } from './rtt-history';
import { RecentList } from './recent-list';
import { TraceView } from './trace-view';

export type ProbeKind = 'ping' | 'knock' | 'trace';

/** A failed probe, as the status page lists it. */
export interface RecentError {
  /** Seconds since the epoch. */
  readonly time: number;
  /** `dns` when the target's name did not resolve (reason `resolve`): no probe could run. */
  readonly probe: ProbeKind | 'dns';
  /** The `reason` of netdiag_probe_errors_total (unreachable, send, unreached, resolve, …). */
  readonly reason: string;
  /** What happened, in words (the ICMP error and who sent it, the system error…). */
  readonly message: string;
  readonly address: string;
}

/** How much a target keeps: the RTT history shape, recent errors and path changes. */
export interface TargetStatusLimits {
  readonly history: HistoryShape;
  /** Recent errors kept per target; default 10. */
  readonly errors: number;
  /** Recent path changes kept per traced target; default 10. */
  readonly pathChanges: number;
}

export const DEFAULT_TARGET_LIMITS: TargetStatusLimits = {
  history: DEFAULT_HISTORY_SHAPE,
  errors: 10,
  pathChanges: 10,
};

const MAX_ADDRESSES = 16;

/** Everything the status page holds of one target; each part is created on its first result. */
export class TargetStatus {
  ping: RttHistory | undefined;
  /** By knocked port. */
  readonly knock = new Map<number, RttHistory>();
  trace: TraceView | undefined;
  readonly errors: RecentList<RecentError>;
  /** Addresses probed, most recently started last (at most MAX_ADDRESSES). */
  readonly addresses = new Set<string>();
  /** Set when the config dropped the target: its feeds ignore what still comes. */
  removed = false;

  constructor(
    readonly name: string,
    public labels: Readonly<Record<string, string>>,
    /** Probes the config enables for it. */
    public probes: readonly ProbeKind[],
    limits: TargetStatusLimits,
  ) {
    this.errors = new RecentList(limits.errors);
  }

  noteAddress(address: string): void {
    this.addresses.delete(address);
    this.addresses.add(address);
    // A name whose addresses keep changing must not grow the set without bound.
    if (this.addresses.size > MAX_ADDRESSES) this.addresses.delete(this.addresses.values().next().value!);
  }

  /** RTT series held (ping and knocked ports): what the store's cap counts. */
  get series(): number {
    return (this.ping ? 1 : 0) + this.knock.size;
  }

  /** Gives the RTT histories' storage back (the target was dropped): its feeds write none after. */
  releaseHistory(): void {
    this.ping?.release();
    this.ping = undefined;
    for (const history of this.knock.values()) history.release();
    this.knock.clear();
  }

  get bytes(): number {
    let total = this.ping?.bytes ?? 0;
    for (const history of this.knock.values()) total += history.bytes;
    return total;
  }
}
