/** What one probe of a flow at one TTL told: who answered (null: nobody) and whether its flow ends there. */
export interface FlowAnswer {
  readonly from: string | null;
  /** The destination answered, or an unreachable from another node: the flow goes no further. */
  readonly ends: boolean;
}

/**
 * Every answer of a trace, per flow and TTL: what the MDA decides from, and what a later stage may
 * read again (pacing, forwarding loss and path changes need per-hop per-flow answers). One probe per
 * flow and TTL: a flow's answer at a TTL is final once recorded.
 */
export class AnswerRecords {
  private readonly byTtl = new Map<number, Map<number, FlowAnswer>>();
  /** TTL at which each flow ended, by flow. */
  private readonly endedAt = new Map<number, number>();
  private flowCount = 0;

  /** Flows 0 … flows − 1 exist (have been or may be probed). */
  get flows(): number {
    return this.flowCount;
  }

  /** Makes room for `count` more flows; returns the first new flow's number. */
  addFlows(count: number): number {
    const first = this.flowCount;
    this.flowCount += count;
    return first;
  }

  record(flow: number, ttl: number, answer: FlowAnswer): void {
    let answers = this.byTtl.get(ttl);
    if (!answers) this.byTtl.set(ttl, (answers = new Map()));
    answers.set(flow, answer);
    if (answer.ends && ttl < (this.endedAt.get(flow) ?? Infinity)) this.endedAt.set(flow, ttl);
  }

  /** Highest TTL with an answer recorded (firstHop − 1 … when none: 0). */
  lastTtl(): number {
    let last = 0;
    for (const ttl of this.byTtl.keys()) last = Math.max(last, ttl);
    return last;
  }

  at(flow: number, ttl: number): FlowAnswer | undefined {
    return this.byTtl.get(ttl)?.get(flow);
  }

  /** The flows probed at `ttl` and what each met. */
  answersAt(ttl: number): ReadonlyMap<number, FlowAnswer> {
    return this.byTtl.get(ttl) ?? new Map();
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
}
