import type { AnswerRecords } from './answer-records';

/**
 * Rounds an answer counts for in the stopping rule: the round it was seen in and the
 * EVIDENCE_MAX_AGE − 1 after it. Every round re-probes the oldest quarter of each link's flows (at
 * least one per link, see recheckProbes), so each counted answer is re-checked within this many
 * rounds, and a next hop that appears behind a router is met at the configured confidence within it.
 */
export const EVIDENCE_MAX_AGE = 4;

/**
 * Rounds that explore without counting carried answers once a re-check saw a flow go elsewhere: the
 * round that saw it and the next, so that two rounds in a row send the MDA's own number of probes
 * through the router that changed (the path watch rules a responder out on two such rounds).
 */
export const FRESH_ROUNDS_AFTER_CHANGE = 2;

/** One carried answer: who answered a flow at a TTL, whether the flow ended there, and in which round. */
export interface CarriedAnswer {
  readonly from: string;
  readonly ends: boolean;
  /** The round (MdaEvidence.round numbering) it was last seen in. */
  readonly seen: number;
}

/** A flow whose answers a later round may count again: its source port (its 5-tuple) and its answers. */
export interface CarriedFlow {
  readonly port: number;
  /** Per TTL from the evidence's firstHop; null: nothing counted there. */
  readonly hops: ReadonlyArray<CarriedAnswer | null>;
}

/**
 * What an MDA round of a UDP or TCP trace learned that the next may count again (pass a result's
 * `evidence` as the next request's): flows keep their 5-tuples, so with an unchanged topology a
 * load balancer sends a flow where it sent it before, and its answers stay evidence for the stopping
 * rule (see CarriedEvidence).
 */
export interface MdaEvidence {
  /** The round that produced it (a target's first round: 0). */
  readonly round: number;
  readonly firstHop: number;
  /** Rounds still to explore without counting carried answers (a change was seen). */
  readonly freshRounds: number;
  readonly flows: readonly CarriedFlow[];
}

/**
 * The evidence a round leaves: every flow with an answer (this round's, or carried and still
 * counted), numbered as in `ports`. Flows without a port of their own (ICMP) carry nothing.
 */
export function evidenceOf(
  records: AnswerRecords,
  ports: readonly number[],
  round: { round: number; firstHop: number; lastHop: number; freshRounds: number },
): MdaEvidence {
  const flows: CarriedFlow[] = [];
  for (let flow = 0; flow < Math.min(records.flows, ports.length); flow++) {
    const hops: Array<CarriedAnswer | null> = [];
    for (let ttl = round.firstHop; ttl <= round.lastHop; ttl++) {
      const answer = records.at(flow, ttl);
      hops.push(
        answer?.from
          ? { from: answer.from, ends: answer.ends, seen: records.seenIn(flow, ttl) ?? round.round }
          : null,
      );
    }
    while (hops.length > 0 && hops.at(-1) === null) hops.pop();
    if (hops.length > 0) flows.push({ port: ports[flow]!, hops });
  }
  return { round: round.round, firstHop: round.firstHop, freshRounds: round.freshRounds, flows };
}
