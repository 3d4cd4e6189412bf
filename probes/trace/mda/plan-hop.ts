import type { AnswerRecords } from './answer-records';
import { probesToRuleOutAnother } from './stopping-points';

/** One probe to send: a flow at a TTL. */
export interface ProbeOrder {
  readonly flow: number;
  readonly ttl: number;
}

/**
 * What to do next at a hop: probe (after adding `newFlows` flows, numbered from the records' current
 * count), or nothing more: the stopping rule holds for every vertex before the hop (`complete`), or
 * the flow cap left it short.
 */
export type HopPlan =
  | { readonly kind: 'probe'; readonly probes: readonly ProbeOrder[]; readonly newFlows: number }
  | { readonly kind: 'done'; readonly complete: boolean };

export interface HopPlanOptions {
  /** TTL of the trace's first hop: its flows all start from the tracing host. */
  readonly firstHop: number;
  readonly confidence: number;
  /** Flows the trace may use in all. */
  readonly maxFlows: number;
}

/** The flows that reach one vertex of the hop before: their next hops are what is sought. */
interface Branch {
  readonly flows: readonly number[];
  /** Probes still needed at this TTL through this vertex (≤ 0: the rule holds). */
  readonly deficit: number;
  /** Flows of the branch not yet probed at this TTL. */
  readonly unprobed: readonly number[];
}

/**
 * The MDA's next step at `ttl` (Augustin et al. 2007), per vertex of the hop before it, so that a
 * branch that splits again (a nested diamond) is explored on its own: each vertex needs n_k of its
 * flows probed at `ttl`, k − 1 being its next hops seen so far. Flows known to reach the vertex are
 * used first; when too few are known, new flows are sent to the hop before to find more of them
 * ("node control"), as many as the vertex's share of the flows there suggests.
 *
 * MDA-Lite (Vermeulen et al., IMC 2018): when the hop before has a single vertex (or none answered,
 * or `ttl` is the first hop), every flow goes through it, so new flows are probed at `ttl` directly and
 * a hop without diversity costs n_2 probes (6 at 95 %), on flows already traced to the hop before.
 */
export function planHop(records: AnswerRecords, ttl: number, options: HopPlanOptions): HopPlan {
  const { firstHop, confidence, maxFlows } = options;
  const previous = ttl - 1;
  const oneVertexBefore = ttl === firstHop || records.respondersAt(previous).length <= 1;
  const branches = branchesAt(records, ttl, oneVertexBefore, confidence);
  const room = Math.max(0, maxFlows - records.flows);
  const probes: ProbeOrder[] = [];
  let newFlows = 0;
  if (oneVertexBefore) {
    // One branch: its unprobed flows first, then new flows straight at this TTL.
    const branch = branches[0] ?? { flows: [], deficit: probesToRuleOutAnother(0, confidence), unprobed: [] };
    if (branch.deficit > 0) {
      const reuse = branch.unprobed.slice(0, branch.deficit);
      for (const flow of reuse) probes.push({ flow, ttl });
      newFlows = Math.min(room, branch.deficit - reuse.length);
      for (let i = 0; i < newFlows; i++) probes.push({ flow: records.flows + i, ttl });
    }
  } else {
    const assigned = branches.reduce((sum, branch) => sum + branch.flows.length, 0);
    let nodeControl = 0;
    for (const branch of branches) {
      if (branch.deficit <= 0) continue;
      const reuse = branch.unprobed.slice(0, branch.deficit);
      for (const flow of reuse) probes.push({ flow, ttl });
      const missing = branch.deficit - reuse.length;
      // New flows spread over every vertex of the hop before: enough for this vertex's share serves
      // the others too. The share is the vertex's fraction of the flows there, but no less than an
      // even split: a fraction from a handful of flows is noisy, and too small a one would send many
      // flows at once where the next plan can simply ask for more.
      const share = Math.max(branch.flows.length / assigned, 1 / branches.length);
      if (missing > 0) nodeControl = Math.max(nodeControl, Math.ceil(missing / share));
    }
    newFlows = Math.min(room, nodeControl);
    for (let i = 0; i < newFlows; i++) probes.push({ flow: records.flows + i, ttl: previous });
  }
  if (probes.length > 0) return { kind: 'probe', probes, newFlows };
  // Nothing left to send while a deficit remains: the flow cap was reached.
  return { kind: 'done', complete: branches.length > 0 && branches.every((branch) => branch.deficit <= 0) };
}

/**
 * The flows of each vertex of the hop before `ttl` that may go on to `ttl`. With one vertex there,
 * every flow that has not ended counts (its answer there is inferred, even where lost); otherwise a
 * flow counts under the vertex that answered it, and a flow lost or not probed there under none.
 */
function branchesAt(
  records: AnswerRecords,
  ttl: number,
  oneVertexBefore: boolean,
  confidence: number,
): Branch[] {
  const byVertex = new Map<string, number[]>();
  for (let flow = 0; flow < records.flows; flow++) {
    if (records.endedBefore(flow, ttl)) continue;
    let vertex: string | null = '';
    if (!oneVertexBefore) {
      const before = records.at(flow, ttl - 1);
      if (before === undefined || before.ends) continue;
      vertex = before.from;
    }
    if (vertex === null) continue;
    let flows = byVertex.get(vertex);
    if (!flows) byVertex.set(vertex, (flows = []));
    flows.push(flow);
  }
  const here = records.answersAt(ttl);
  return [...byVertex.values()].map((flows) => {
    const probed = flows.filter((flow) => here.has(flow));
    const nextHops = new Set(probed.map((flow) => here.get(flow)!.from).filter((from) => from !== null));
    return {
      flows,
      deficit: probesToRuleOutAnother(nextHops.size, confidence) - probed.length,
      unprobed: flows.filter((flow) => !here.has(flow)),
    };
  });
}
