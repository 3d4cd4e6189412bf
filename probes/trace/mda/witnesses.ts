import type { AnswerRecords } from './answer-records';

/**
 * The flows that found something first: for each responder of each hop, and for each link u → w
 * between two hops, the lowest-numbered flow that met it, ascending. A next trace that starts with
 * these flows (their 5-tuples: sourcePorts) meets every responder and link again at the hops where
 * the MDA probes them first, and explores with new flows beyond them: a branch found once stays
 * observed, one missed gets a new chance each round.
 */
export function witnessFlows(records: AnswerRecords, firstHop: number, lastHop: number): number[] {
  const witnesses = new Set<number>();
  for (let ttl = firstHop; ttl <= lastHop; ttl++) {
    const seen = new Set<string>();
    const before = records.answersAt(ttl - 1);
    for (const [flow, answer] of [...records.answersAt(ttl)].sort(([a], [b]) => a - b)) {
      if (answer.from === null) continue;
      const from = before.get(flow)?.from;
      for (const key of [answer.from, from ? `${from}>${answer.from}` : undefined]) {
        if (key === undefined || seen.has(key)) continue;
        seen.add(key);
        witnesses.add(flow);
      }
    }
  }
  return [...witnesses].sort((a, b) => a - b);
}
