import { pathSetHash } from './paths';
import type { TraceSpec } from './trace-request';
import type { FlowPath, TraceHop, TracePath, TraceResult } from './trace-result';

/**
 * The fields every trace result has, fixed flows or MDA alike, from what the trace found: where the
 * destination first answered, and the identity of the set of paths.
 */
export function assembleResult(
  spec: Pick<TraceSpec, 'destination' | 'family' | 'protocol' | 'firstHop'>,
  hops: TraceHop[],
  flows: FlowPath[],
  paths: TracePath[],
  duration: number,
  probes: number,
): TraceResult {
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
