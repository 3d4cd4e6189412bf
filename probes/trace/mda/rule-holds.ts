import { AnswerRecords } from './answer-records';
import type { MdaEvidence } from './evidence';
import { planHop } from './plan-hop';

/**
 * Whether `evidence`'s answers alone satisfy the MDA's stopping rule at `confidence` at every TTL
 * where it holds any: planned over them as a round would (mda/plan-hop.ts), no hop asks for another
 * probe, or only for flows past `maxFlows` (the round could do no more). Only answered flows are
 * carried, so a hop whose round counted unanswered probes toward n_k (rate limits) does not hold
 * here until enough of its flows were answered.
 */
export function ruleHolds(evidence: MdaEvidence, confidence: number, maxFlows: number): boolean {
  const { firstHop, flows } = evidence;
  const records = new AnswerRecords();
  records.addFlows(flows.length);
  let lastHop = firstHop - 1;
  for (const [flow, { hops }] of flows.entries())
    for (const [i, answer] of hops.entries()) {
      if (answer === null) continue;
      records.record(flow, firstHop + i, { from: answer.from, ends: answer.ends });
      lastHop = Math.max(lastHop, firstHop + i);
    }
  if (lastHop < firstHop) return false;
  const options = { firstHop, confidence, maxFlows };
  for (let ttl = firstHop; ttl <= lastHop; ttl++) {
    // Nothing carried at a TTL (a silent router, or every answer lost): nothing there to settle the
    // rule with, so every round's MDA probes it as a hop of its own.
    if (records.respondersAt(ttl).length === 0) continue;
    if (planHop(records, ttl, options).kind !== 'done') return false;
  }
  return true;
}
