/** What one probe of a flow at one TTL told: who answered (null: nobody) and whether its flow ends there. */
export interface FlowAnswer {
  readonly from: string | null;
  /** The destination answered, or an unreachable from another node: the flow goes no further. */
  readonly ends: boolean;
}

/** An answer of an earlier round, still counted (see mda/carried-evidence.ts): `seen` is its round. */
interface Carried extends FlowAnswer {
  readonly from: string;
  readonly seen: number;
}

/**
 * Every answer of a trace, per flow and TTL: what the MDA decides from, and what a later stage may
 * read again (pacing, forwarding loss and path changes need per-hop per-flow answers). One probe per
 * flow and TTL: a flow's answer at a TTL is final once recorded.
 *
 * Answers carried from earlier rounds (`carry`) count as this round's where this round has no answer
 * of its own for the flow and TTL (not probed, or unanswered): `at`, `answersAt` and `respondersAt`
 * read both; `freshAt` reads this round's alone (what the round itself saw, for its result's flows).
 */
export class AnswerRecords {
  private readonly byTtl = new Map<number, Map<number, FlowAnswer>>();
  private readonly carriedByTtl = new Map<number, Map<number, Carried>>();
  /** TTL at which each flow ended, by flow. */
  private readonly endedAt = new Map<number, number>();
  private flowCount = 0;
  private changes = 0;

  /**
   * Counts the changes to the records (answers recorded or carried, flows added): equal readings
   * mean equal contents, so that what is derived from them may be kept until it moves.
   */
  get version(): number {
    return this.changes;
  }

  /** Flows 0 … flows − 1 exist (have been or may be probed). */
  get flows(): number {
    return this.flowCount;
  }

  /** Makes room for `count` more flows; returns the first new flow's number. */
  addFlows(count: number): number {
    const first = this.flowCount;
    this.flowCount += count;
    this.changes++;
    return first;
  }

  record(flow: number, ttl: number, answer: FlowAnswer): void {
    let answers = this.byTtl.get(ttl);
    if (!answers) this.byTtl.set(ttl, (answers = new Map()));
    answers.set(flow, answer);
    this.noteEnd(flow, ttl, answer);
    this.changes++;
  }

  /** An earlier round's answer of `flow` at `ttl`, seen in round `seen`. */
  carry(flow: number, ttl: number, answer: { from: string; ends: boolean }, seen: number): void {
    let answers = this.carriedByTtl.get(ttl);
    if (!answers) this.carriedByTtl.set(ttl, (answers = new Map()));
    answers.set(flow, { from: answer.from, ends: answer.ends, seen });
    this.noteEnd(flow, ttl, answer);
    this.changes++;
  }

  /** Highest TTL with an answer recorded (firstHop − 1 … when none: 0). */
  lastTtl(): number {
    let last = 0;
    for (const ttl of [...this.byTtl.keys(), ...this.carriedByTtl.keys()]) last = Math.max(last, ttl);
    return last;
  }

  /** This round's answer, or a carried one where this round has none answered. */
  at(flow: number, ttl: number): FlowAnswer | undefined {
    const fresh = this.byTtl.get(ttl)?.get(flow);
    if (fresh?.from) return fresh;
    return this.carriedByTtl.get(ttl)?.get(flow) ?? fresh;
  }

  /** This round's answer alone. */
  freshAt(flow: number, ttl: number): FlowAnswer | undefined {
    return this.byTtl.get(ttl)?.get(flow);
  }

  /** The round a carried answer read by `at` was seen in; undefined for this round's. */
  seenIn(flow: number, ttl: number): number | undefined {
    if (this.byTtl.get(ttl)?.get(flow)?.from) return undefined;
    return this.carriedByTtl.get(ttl)?.get(flow)?.seen;
  }

  /** The flows probed (or carried) at `ttl` and what each met. */
  answersAt(ttl: number): ReadonlyMap<number, FlowAnswer> {
    const fresh = this.byTtl.get(ttl);
    const carried = this.carriedByTtl.get(ttl);
    if (!carried) return fresh ?? new Map();
    const merged = new Map<number, FlowAnswer>(fresh);
    for (const [flow, answer] of carried) if (!merged.get(flow)?.from) merged.set(flow, answer);
    return merged;
  }

  /** Distinct responders at `ttl`, in order of first record. */
  respondersAt(ttl: number): string[] {
    const seen = new Set<string>();
    for (const answer of this.answersAt(ttl).values()) if (answer.from !== null) seen.add(answer.from);
    return [...seen];
  }

  /** Whether `flow` ended before reaching `ttl`. */
  endedBefore(flow: number, ttl: number): boolean {
    return (this.endedAt.get(flow) ?? Infinity) < ttl;
  }

  private noteEnd(flow: number, ttl: number, answer: FlowAnswer): void {
    if (answer.ends && ttl < (this.endedAt.get(flow) ?? Infinity)) this.endedAt.set(flow, ttl);
  }
}
