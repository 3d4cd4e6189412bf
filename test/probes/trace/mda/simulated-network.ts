// A simulated network of per-flow load balancers for the MDA's tests: each router sends a flow to one
// of its next hops by a hash of (router, seed, flow), as an ECMP router hashes a 5-tuple.
import type { FlowTransport, ProbeOutcome } from '../../../../probes/trace';

/** Router → its next hops (one each for a plain link); the destination has none. */
export type Topology = Readonly<Record<string, readonly string[]>>;

export const SOURCE = 'client';

/** client — r1 — {r2a, r2b, r2c, r2d}; r2a splits again to {r3a, r3b}; r2b-d join at r3c; r3a-c — r4 — target. */
export const NESTED_DIAMOND: Topology = {
  client: ['r1'],
  r1: ['r2a', 'r2b', 'r2c', 'r2d'],
  r2a: ['r3a', 'r3b'],
  r2b: ['r3c'],
  r2c: ['r3c'],
  r2d: ['r3c'],
  r3a: ['r4'],
  r3b: ['r4'],
  r3c: ['r4'],
  r4: ['target'],
  target: [],
};

/**
 * The MDA lab of test/e2e/mda-lab.ts as its traces see it: routers answer from the interface a probe
 * came in on, so r3c shows one address per branch into it and r4 one per router before it (14
 * addresses at 5 hops: 1, 4, 5, 3, 1).
 */
export const MDA_LAB: Topology = {
  client: ['r1'],
  r1: ['r2a', 'r2b', 'r2c', 'r2d'],
  r2a: ['r3a', 'r3b'],
  r2b: ['r3c/b'],
  r2c: ['r3c/c'],
  r2d: ['r3c/d'],
  r3a: ['r4/a'],
  r3b: ['r4/b'],
  'r3c/b': ['r4/c'],
  'r3c/c': ['r4/c'],
  'r3c/d': ['r4/c'],
  'r4/a': ['target'],
  'r4/b': ['target'],
  'r4/c': ['target'],
  target: [],
};

/** The responders at each TTL (1-based index 0 = TTL 1) of a topology. */
export function hopsOf(topology: Topology): string[][] {
  const hops: string[][] = [];
  let layer = [SOURCE];
  while (layer.length > 0) {
    const next = [...new Set(layer.flatMap((node) => topology[node] ?? []))].sort();
    if (next.length > 0) hops.push(next);
    layer = next;
  }
  return hops;
}

function mix(value: number): number {
  let x = value >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function nameHash(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** The node a flow of identity `flow` (its 5-tuple) meets at `ttl` (undefined past the destination). */
export function nodeAt(topology: Topology, seed: number, flow: number, ttl: number): string | undefined {
  let node = SOURCE;
  for (let i = 0; i < ttl; i++) {
    const next = topology[node] ?? [];
    if (next.length === 0) return undefined;
    node = next[mix(nameHash(node) ^ mix(seed * 7919 + flow)) % next.length]!;
  }
  return node;
}

/**
 * A FlowTransport over a simulated topology: answers on a later turn; `drop` loses chosen probes.
 * Flow i has the identity (its "source port") preferred[i] when given, else a fresh one.
 */
export class SimulatedTransport implements FlowTransport {
  readonly asked: Array<{ flow: number; ttl: number }> = [];
  readonly identities: number[] = [];
  closed = 0;

  constructor(
    private readonly topology: Topology,
    private readonly seed: number,
    private readonly drop: (flow: number, ttl: number, node: string) => boolean = () => false,
    private readonly preferred: readonly number[] = [],
    private readonly fresh: () => number = () => 0,
  ) {}

  get sourcePorts(): readonly number[] {
    return this.identities;
  }

  ensureFlows(count: number): Promise<void> {
    while (this.identities.length < count)
      this.identities.push(this.preferred[this.identities.length] ?? this.fresh());
    return Promise.resolve();
  }

  probe(flow: number, ttl: number): Promise<ProbeOutcome> {
    const identity = this.identities[flow];
    if (identity === undefined) throw new Error(`flow ${flow} probed before ensureFlows`);
    this.asked.push({ flow, ttl });
    const node = nodeAt(this.topology, this.seed, identity, ttl) ?? 'target';
    const outcome: ProbeOutcome = this.drop(flow, ttl, node)
      ? null
      : { kind: (this.topology[node] ?? []).length === 0 ? 'destination' : 'hop', from: node, rtt: 0.001 };
    return new Promise((resolve) => setImmediate(() => resolve(outcome)));
  }

  close(): void {
    this.closed++;
  }
}
