/** One probe to send: a flow at a TTL. */
export interface FlowAtTtl {
  readonly flow: number;
  readonly ttl: number;
}

/**
 * Orders probes TTL by TTL in turn (the first of every TTL, then the second of every TTL, …), each
 * TTL's in flow order: consecutive probes go to different hops, so no router gets them in a row.
 */
export function interleaveByTtl<T extends FlowAtTtl>(probes: readonly T[]): T[] {
  const byTtl = new Map<number, T[]>();
  for (const probe of [...probes].sort((a, b) => a.ttl - b.ttl || a.flow - b.flow)) {
    let list = byTtl.get(probe.ttl);
    if (!list) byTtl.set(probe.ttl, (list = []));
    list.push(probe);
  }
  const lists = [...byTtl.values()];
  const out: T[] = [];
  for (let i = 0; out.length < probes.length; i++)
    for (const list of lists) if (i < list.length) out.push(list[i]!);
  return out;
}
