import type { KnockResult, PingResult, TraceResult } from '../../../probes';
import type { StatusTarget } from '../../../exporter/status';

export const target = (name: string, labels: Record<string, string> = {}): StatusTarget => ({
  name,
  labels,
  probes: ['ping', 'knock', 'trace'],
});

export const ping = (rtt: number | null): PingResult =>
  rtt === null ? { seq: 0, rtt: null, failure: { reason: 'timeout' } } : { seq: 0, rtt };

export const knock = (rtt: number | null, state: 'open' | 'closed' = 'open'): KnockResult =>
  rtt === null
    ? { seq: 0, rtt: null, sourcePort: 40000, sequence: 1, failure: { reason: 'timeout' } }
    : { seq: 0, rtt, state, sourcePort: 40000, sequence: 1 };

/** A trace round over `paths` (each a list of hop addresses from TTL 1), one flow per path. */
export function trace(paths: string[][], reached = true): TraceResult {
  const depth = Math.max(0, ...paths.map((p) => p.length));
  const hops = Array.from({ length: depth }, (_, i) => {
    const addresses = [...new Set(paths.map((p) => p[i]).filter((a): a is string => a !== undefined))];
    return {
      ttl: i + 1,
      responders: addresses.map((address) => ({
        address,
        kind: 'hop' as const,
        rtts: [0.001 * (i + 1), 0.002 * (i + 1)],
        flows: [0],
      })),
      sent: paths.length,
      received: paths.length,
      sendFailures: 0,
      late: 0,
      loss: 0,
    };
  });
  const hashOf = (hops: string[]): string => hops.join('>').padEnd(16, '0').slice(0, 16);
  return {
    destination: paths[0]?.[paths[0].length - 1] ?? '192.0.2.1',
    family: 4,
    protocol: 'udp' as const,
    firstHop: 1,
    hops,
    flows: paths.map((p, flow) => ({ flow, hops: p, reached, hash: hashOf(p) })),
    paths: paths.map((p, flow) => ({ hash: hashOf(p), hops: p, flows: [flow] })),
    reached,
    ...(reached && { hopsToDestination: depth }),
    pathSetHash: paths.map(hashOf).sort().join('|'),
    duration: 0.1,
    probes: hops.reduce((sum, hop) => sum + hop.sent, 0),
  };
}
