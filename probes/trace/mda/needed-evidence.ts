import type { CarriedAnswer, CarriedFlow, MdaEvidence } from './evidence';
import { probesToRuleOutAnother } from './stopping-points';

/**
 * The part of `evidence` the stopping rule needs at `confidence`, the rest left out (so that a round
 * re-checks only what it counts): per TTL and per vertex before it (one for the first hop, or after a
 * hop of one responder, as the MDA reads it), a flow per next hop seen (its witness: the link stays
 * known), then more up to n_k, k − 1 being the vertex's next hops seen. A flow counted for a vertex
 * keeps its answer at the TTL before too (it is what puts the flow behind that vertex). Flows are
 * taken in order of preference: those already kept at the TTL before (no answer more to carry),
 * then those kept elsewhere, then the lowest numbered, so that trimming twice keeps the same flows.
 */
export function trimEvidence(evidence: MdaEvidence, confidence: number): MdaEvidence {
  const { flows } = evidence;
  const answer = (flow: number, i: number): CarriedAnswer | null =>
    i < 0 ? null : (flows[flow]?.hops[i] ?? null);
  const ended = flows.map((flow) => flow.hops.findIndex((hop) => hop?.ends === true));
  const keep = flows.map(() => new Set<number>());
  const depth = Math.max(0, ...flows.map((flow) => flow.hops.length));
  for (let i = 0; i < depth; i++) {
    const before = new Set(flows.map((_, flow) => answer(flow, i - 1)?.from).filter((from) => from));
    const single = i === 0 || before.size <= 1;
    const groups = new Map<string, number[]>();
    for (let flow = 0; flow < flows.length; flow++) {
      if (answer(flow, i) === null || (ended[flow]! >= 0 && ended[flow]! < i)) continue;
      const previous = answer(flow, i - 1);
      if (!single && (previous === null || previous.ends)) continue;
      const key = single ? '' : previous!.from;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(flow);
    }
    const rank = (flow: number): number => (keep[flow]!.has(i - 1) ? 0 : keep[flow]!.size > 0 ? 1 : 2);
    for (const group of groups.values()) {
      const ordered = [...group].sort((a, b) => rank(a) - rank(b) || a - b);
      const nextHops = new Set(ordered.map((flow) => answer(flow, i)!.from));
      const chosen = new Set<number>();
      const witnessed = new Set<string>();
      for (const flow of ordered) {
        const to = answer(flow, i)!.from;
        if (witnessed.has(to)) continue;
        witnessed.add(to);
        chosen.add(flow);
      }
      const needed = probesToRuleOutAnother(nextHops.size, confidence);
      for (const flow of ordered) if (chosen.size < needed) chosen.add(flow);
      for (const flow of chosen) {
        keep[flow]!.add(i);
        if (!single) keep[flow]!.add(i - 1);
      }
    }
  }
  const kept: CarriedFlow[] = [];
  for (const [flow, { port, hops }] of flows.entries()) {
    if (keep[flow]!.size === 0) continue;
    const trimmed = hops.map((hop, i) => (keep[flow]!.has(i) ? hop : null));
    while (trimmed.length > 0 && trimmed.at(-1) === null) trimmed.pop();
    kept.push({ port, hops: trimmed });
  }
  return { ...evidence, flows: kept };
}
