import type { FlowTransport } from './flow-transport';
import { buildHop, endsFlow, type FlowOutcome } from './hop-builder';
import type { TraceSpec } from './trace-request';
import type { TraceHop } from './trace-result';
import { untilAborted } from './until-aborted';

type Schedule = Pick<
  TraceSpec,
  'flows' | 'probes' | 'firstHop' | 'maxHops' | 'maxSilentHops' | 'parallelHops' | 'pathLength'
>;

/**
 * Runs the probes of a trace and yields each hop, in TTL order, once all its probes settled.
 *
 * All flows × probes of a TTL leave together, and up to `parallelHops` TTLs are in flight, so a
 * trace costs about (hops / parallelHops) timeouts rather than one per hop. A flow is not probed
 * past the TTL at which the destination (or an unreachable) answered it; probes already in flight
 * beyond it are left out of the hops' counts. The trace ends when every flow ended, after
 * `maxSilentHops` hops in a row without any answer, at `maxHops`, or on abort.
 *
 * With a known `pathLength` (an earlier trace's), no TTL beyond pathLength + 1 leaves before that
 * TTL's hop is in: if a router answered there, the path got longer and TTLs go on as above; if not,
 * the trace ends there, whatever the flows whose destination answer was lost would still probe.
 */
export async function* runTrace(
  transport: FlowTransport,
  schedule: Schedule,
  signal?: AbortSignal,
): AsyncGenerator<TraceHop, void, undefined> {
  const { flows, probes, firstHop, maxHops, maxSilentHops, parallelHops, pathLength } = schedule;
  /** Last TTL that may leave. */
  let limit = pathLength === undefined ? maxHops : Math.min(maxHops, Math.max(firstHop, pathLength + 1));
  /** TTL at which each flow ended (Infinity while it goes on). */
  const endedAt = new Array<number>(flows).fill(Infinity);
  const launched = new Map<number, Promise<FlowOutcome[]>>();
  const liveAt = (ttl: number): boolean => endedAt.some((end) => end >= ttl);
  let next = firstHop;
  const launch = (ttl: number): void => {
    const settled: Array<Promise<FlowOutcome>> = [];
    for (let flow = 0; flow < flows; flow++) {
      if (endedAt[flow]! < ttl) continue;
      for (let i = 0; i < probes; i++) {
        settled.push(
          transport.probe(flow, ttl).then((outcome) => {
            if (endsFlow(outcome) && ttl < endedAt[flow]!) endedAt[flow] = ttl;
            return { flow, outcome };
          }),
        );
      }
    }
    launched.set(ttl, Promise.all(settled));
  };

  let silent = 0;
  try {
    for (let ttl = firstHop; ttl <= maxHops; ttl++) {
      while (next <= limit && next < ttl + parallelHops && liveAt(next)) launch(next++);
      const pending = launched.get(ttl);
      if (pending === undefined) return;
      launched.delete(ttl);
      const outcomes = await untilAborted(pending, signal);
      if (outcomes === undefined) return;
      const hop = buildHop(
        ttl,
        outcomes.filter(({ flow }) => endedAt[flow]! >= ttl),
      );
      yield hop;
      silent = hop.received === 0 ? silent + 1 : 0;
      if (!liveAt(ttl + 1) || silent >= maxSilentHops) return;
      if (ttl === limit) {
        if (limit === maxHops || !hop.responders.some((responder) => responder.kind === 'hop')) return;
        limit = maxHops;
      }
    }
  } finally {
    transport.close();
  }
}
