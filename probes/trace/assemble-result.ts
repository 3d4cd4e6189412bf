import { forwardLoss } from './loss/forward-loss';
import { hopFigure } from './loss/loss-figure';
import { pathSetHash } from './paths';
import type { TraceSpec } from './trace-request';
import type { FlowPath, TraceHop, TracePath, TraceResult } from './trace-result';

/**
 * The fields every trace result has, fixed flows or MDA alike, from what the trace found: where the
 * destination first answered, the identity of the set of paths, and each hop's forwarding loss.
 */
export function assembleResult(
  spec: Pick<TraceSpec, 'destination' | 'family' | 'protocol' | 'firstHop'>,
  hops: TraceHop[],
  flows: FlowPath[],
  paths: TracePath[],
  duration: number,
  probes: number,
): TraceResult {
  const forward = forwardLoss(hops.map(hopFigure), { minProbes: 1 });
  hops.forEach((hop, i) => (hop.forwardLoss = forward[i]!.ratio));
  const arrival = hops.find((hop) => hop.responders.some((r) => r.kind === 'destination'));
  return {
    destination: spec.destination,
    family: spec.family,
    protocol: spec.protocol,
    firstHop: spec.firstHop,
    hops,
    flows,
    paths,
    reached: arrival !== undefined,
    ...(arrival !== undefined && { hopsToDestination: arrival.ttl }),
    pathSetHash: pathSetHash(paths.map((path) => path.hash)),
    duration,
    probes,
  };
}
