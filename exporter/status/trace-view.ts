import type { TraceResult } from '../../probes';
import { RecentList } from './recent-list';

/** One address that answered at a hop, over the last round. */
export interface HopResponderView {
  readonly address: string;
  /** Answers from it at this hop. */
  readonly answers: number;
  /** RTTs of its answers (seconds). */
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** One row of the mtr-like table: a TTL, every responder at it, and the response loss. */
export interface HopView {
  readonly ttl: number;
  readonly sent: number;
  readonly received: number;
  /** Response loss: probes of this TTL without any answer, over those sent. */
  readonly loss: number;
  /** Forwarding loss up to this hop over the exporter's window (the metric's figure); null: unknown or not given. */
  readonly forwardLoss: number | null;
  readonly responders: readonly HopResponderView[];
}

/** A distinct route of the last round: the responder at each TTL from the first (null: silent). */
export interface PathView {
  readonly hash: string;
  readonly hops: ReadonlyArray<string | null>;
  readonly flows: readonly number[];
}

export interface PathChange {
  readonly time: number;
  readonly before: readonly PathView[];
  readonly after: readonly PathView[];
}

/** A trace's line in the index. */
export interface TraceFigures {
  readonly reached: boolean;
  /** Hops to the destination, or hops that answered when it was not reached. */
  readonly hops: number;
  readonly paths: number;
  readonly lastChange: number | null;
  readonly time: number;
}

export interface TraceSnapshot {
  /** Seconds since the epoch of the last round. */
  readonly time: number;
  readonly address: string;
  readonly reached: boolean;
  readonly hopsToDestination: number | null;
  readonly hops: readonly HopView[];
  readonly paths: readonly PathView[];
  readonly rounds: number;
  readonly changes: readonly PathChange[];
}

/**
 * The trace part of a target's status. A round is seconds apart and its hop table is small (max
 * hops by the responders per hop), so it is kept as plain objects, replaced whole per round.
 */
/**
 * What the exporter judged of a round beyond the result itself: the path watch's verdict (a change at
 * the configured confidence, not a round's silence) and each hop's forwarding loss over its window,
 * the figures the metrics carry. Without it (the library's own use) a change is a different path set.
 */
export interface TraceJudgement {
  readonly pathChanged: boolean;
  /** By TTL; NaN: unknown. */
  readonly forwardLoss: ReadonlyMap<number, number>;
}

export class TraceView {
  private last: Omit<TraceSnapshot, 'rounds' | 'changes'> | undefined;
  private pathSetHash = '';
  private rounds = 0;
  private readonly changes: RecentList<PathChange>;

  constructor(changesKept: number) {
    this.changes = new RecentList(changesKept);
  }

  record(now: number, address: string, result: TraceResult, judged?: TraceJudgement): void {
    const paths = result.paths.map((p) => ({ hash: p.hash, hops: p.hops, flows: p.flows }));
    const changed = judged
      ? judged.pathChanged
      : this.pathSetHash !== '' && result.pathSetHash !== this.pathSetHash;
    if (this.last && changed) this.changes.push({ time: now, before: this.last.paths, after: paths });
    this.pathSetHash = result.pathSetHash;
    this.rounds++;
    this.last = {
      time: now,
      address,
      reached: result.reached,
      hopsToDestination: result.hopsToDestination ?? null,
      hops: result.hops.map((hop) => ({
        ttl: hop.ttl,
        sent: hop.sent,
        received: hop.received,
        loss: hop.loss,
        forwardLoss: knownOrNull(judged?.forwardLoss.get(hop.ttl)),
        responders: hop.responders.map((r) => responderView(r.address, r.rtts)),
      })),
      paths,
    };
  }

  /** A round that failed before any hop: nothing reached, the hop table of the last good round goes. */
  recordFailure(now: number, address: string): void {
    this.rounds++;
    this.last = { time: now, address, reached: false, hopsToDestination: null, hops: [], paths: [] };
  }

  /** What the index shows of the last round. */
  figures(): TraceFigures | undefined {
    const last = this.last;
    if (!last) return undefined;
    return {
      reached: last.reached,
      hops: last.hopsToDestination ?? last.hops.length,
      paths: last.paths.length,
      lastChange: this.changes.newest()?.time ?? null,
      time: last.time,
    };
  }

  snapshot(): TraceSnapshot | undefined {
    if (!this.last) return undefined;
    return { ...this.last, rounds: this.rounds, changes: this.changes.newestFirst() };
  }
}

function responderView(address: string, rtts: readonly number[]): HopResponderView {
  const sorted = [...rtts].sort((a, b) => a - b);
  return {
    address,
    answers: sorted.length,
    min: sorted[0] ?? NaN,
    median: sorted[Math.max(0, Math.ceil(sorted.length / 2) - 1)] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** JSON has no NaN: an unknown figure is null. */
function knownOrNull(value: number | undefined): number | null {
  return value === undefined || Number.isNaN(value) ? null : value;
}
