// Successive MDA rounds over the simulated network, as the exporter runs them: each round starts with
// the flows of the one before and counts their answers again after re-checking part of them (the
// result's evidence; `carry: false`: the flows alone, the rounds before evidence was carried), and the
// network may drop probes.
import { AnswerRecords } from '../../../probes/trace/mda/answer-records';
import { carriedEvidenceOf, evidenceAfter } from '../../../probes/trace/mda/round-evidence';
import type { MdaEvidence } from '../../../probes/trace/mda/evidence';
import { runMda } from '../../../probes/trace/run-mda';
import { summarizeMda } from '../../../probes/trace/summarize-mda';
import {
  validateTraceRequest,
  type FlowTransport,
  type TraceHop,
  type TraceResult,
} from '../../../probes/trace';
import { SimulatedTransport, type Topology } from './mda/simulated-network';

/** Whether the network loses the probe of `flow` at `ttl` (met `node`) in round `round`. */
export type Drop = (round: number, ttl: number, node: string) => boolean;

export interface RoundsOptions {
  readonly confidence?: number;
  /** The destination answers with an ICMP error (UDP's port unreachable), which limiters drop; default no (TCP, ICMP echo). */
  readonly destinationIcmpError?: boolean;
  /** The topology of each round (a branch removed from round n on, say); default `topology` throughout. */
  readonly topologyOf?: (round: number) => Topology;
  /** The first round's confidence (the exporter's: 1 − (1 − confidence)³); default `confidence`. */
  readonly firstConfidence?: number;
  /** Carry each round's evidence into the next (the exporter does); default true. */
  readonly carry?: boolean;
  /** The network's hashing seed (which flow goes where); default 7. */
  readonly seed?: number;
}

let freshIdentities = 0;

/** Runs `count` rounds; yields each round's result. */
export async function* simulatedRounds(
  topology: Topology,
  count: number,
  drop: Drop = () => false,
  options: RoundsOptions = {},
): AsyncGenerator<TraceResult> {
  let sourcePorts: number[] | undefined;
  let evidence: MdaEvidence | undefined;
  const confidence = options.confidence ?? 0.95;
  for (let round = 0; round < count; round++) {
    const spec = validateTraceRequest({
      addr: '192.0.2.1',
      confidence: round === 0 ? (options.firstConfidence ?? confidence) : confidence,
      ...(sourcePorts && { sourcePorts }),
      ...(evidence && options.carry !== false && { evidence }),
    });
    const carried = carriedEvidenceOf(spec);
    if (carried) spec.sourcePorts = carried.ports;
    const fresh = (): number => 1 + (freshIdentities++ % 0xffff);
    const simulated = new SimulatedTransport(
      options.topologyOf?.(round) ?? topology,
      options.seed ?? 7,
      (_flow, ttl, node) => drop(round, ttl, node),
      spec.sourcePorts,
      fresh,
    );
    const transport: FlowTransport = options.destinationIcmpError
      ? withPortUnreachable(simulated)
      : simulated;
    const records = new AnswerRecords();
    const hops: TraceHop[] = [];
    const schedule = { ...spec, mda: spec.mda!, ...(carried && { carried }) };
    for await (const hop of runMda(transport, schedule, records)) hops.push(hop);
    const result = summarizeMda(
      { ...spec, destination: 'target', mda: spec.mda! },
      hops,
      records,
      0,
      simulated.asked.length,
    );
    evidence = evidenceAfter(schedule, records, simulated.identities, carried, hops);
    sourcePorts = evidence.flows.map((flow) => flow.port);
    yield { ...result, evidence, sourcePorts };
  }
}

/** The destination's answers as a UDP trace gets them: ICMP port unreachable. */
function withPortUnreachable(transport: SimulatedTransport): FlowTransport {
  return {
    get sourcePorts() {
      return transport.sourcePorts;
    },
    ensureFlows: (count) => transport.ensureFlows(count),
    close: () => transport.close(),
    probe: async (flow, ttl) => {
      const outcome = await transport.probe(flow, ttl);
      return outcome !== null && outcome.kind === 'destination'
        ? { ...outcome, icmp: { type: 3, code: 3 } }
        : outcome;
    },
  };
}

/**
 * Linux's ICMP error limiter per router, in rounds: a bucket of `burst` answers that gains `perRound`
 * each round; a probe that finds it empty gets no answer. `limited(node)`: whether the node limits.
 */
export function rateLimits(burst: number, perRound: number, limited: (node: string) => boolean): Drop {
  const tokens = new Map<string, number>();
  let current = -1;
  return (round, _ttl, node) => {
    if (round !== current) {
      for (const [key, left] of tokens) tokens.set(key, Math.min(burst, left + perRound * (round - current)));
      current = round;
    }
    if (!limited(node)) return false;
    const left = tokens.get(node) ?? burst;
    if (left < 1) return true;
    tokens.set(node, left - 1);
    return false;
  };
}

/** Loses each probe at `fromTtl` or later with probability `ratio` (a seeded generator: same runs). */
export function forwardDrops(fromTtl: number, ratio: number, seed = 1): Drop {
  let state = seed >>> 0;
  return (_round, ttl) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return ttl >= fromTtl && state / 2 ** 32 < ratio;
  };
}

/** Both drops: a probe is lost when either loses it (the forward drop first: a lost probe takes no token). */
export function bothDrops(first: Drop, second: Drop): Drop {
  return (round, ttl, node) => first(round, ttl, node) || second(round, ttl, node);
}
