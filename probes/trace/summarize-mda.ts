import { graphPaths } from './mda/graph-paths';
import type { AnswerRecords } from './mda/answer-records';
import { assembleResult } from './assemble-result';
import { pathHash } from './paths';
import type { TraceSpec } from './trace-request';
import type { FlowPath, TraceHop, TraceResult } from './trace-result';

/**
 * The result of an MDA trace: paths from the graph of responders it found (graphPaths), and per flow
 * what it met at the hops it was probed at this round (null elsewhere: a flow is probed only where it
 * is needed, and answers carried from earlier rounds are no answers of this round). The graph, and so
 * the paths, include the carried answers: the paths the round counted on.
 */
export function summarizeMda(
  spec: Pick<TraceSpec, 'destination' | 'family' | 'protocol' | 'firstHop'> & { mda: { confidence: number } },
  hops: TraceHop[],
  records: AnswerRecords,
  duration: number,
  probes: number,
): TraceResult {
  const lastHop = hops.at(-1)?.ttl ?? spec.firstHop - 1;
  const { paths } = graphPaths(records, spec.firstHop, lastHop);
  const flows: FlowPath[] = [];
  for (let flow = 0; flow < records.flows; flow++) {
    const path: Array<string | null> = [];
    let reached = false;
    for (let ttl = spec.firstHop; ttl <= lastHop; ttl++) {
      const answer = records.freshAt(flow, ttl);
      path.push(answer?.from ?? null);
      if (answer?.ends) {
        reached = answer.from === spec.destination;
        break;
      }
    }
    flows.push({ flow, hops: path, reached, hash: pathHash(path) });
  }
  const result = assembleResult(spec, hops, flows, paths, duration, probes);
  result.mda = { confidence: spec.mda.confidence, complete: hops.every((hop) => hop.complete === true) };
  return result;
}
