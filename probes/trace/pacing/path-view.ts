/**
 * What is known of the flows' paths while a round runs: this round's answers, and where a flow has
 * none yet at a TTL, what an earlier round's flow of the same number met there (the exporter replays
 * an earlier round's witness flows as flows 0 … k − 1). Null: nobody answered, or not probed.
 */
export interface PathView {
  readonly firstHop: number;
  /** Flows with anything known (this round's and the earlier round's). */
  readonly flows: number;
  /** Last TTL with anything known. */
  readonly lastHop: number;
  at(flow: number, ttl: number): string | null;
}

/** A view over this round's answers (`current`) and an earlier round's paths (`known[flow][ttl − firstHop]`). */
export function mergedView(
  firstHop: number,
  known: ReadonlyArray<ReadonlyArray<string | null>>,
  current: {
    readonly flows: number;
    lastHop(): number;
    at(flow: number, ttl: number): string | null | undefined;
  },
): PathView {
  const knownLast = known.reduce((last, hops) => Math.max(last, firstHop + hops.length - 1), firstHop - 1);
  return {
    firstHop,
    get flows() {
      return Math.max(known.length, current.flows);
    },
    get lastHop() {
      return Math.max(knownLast, current.lastHop());
    },
    at(flow, ttl) {
      const now = current.at(flow, ttl);
      if (now !== undefined && now !== null) return now;
      return known[flow]?.[ttl - firstHop] ?? null;
    },
  };
}
