import type { FlowTransport } from './flow-transport';
import { buildHop, type FlowOutcome } from './hop-builder';
import { AnswerRecords, type FlowAnswer } from './mda/answer-records';
import { planHop } from './mda/plan-hop';
import type { TraceSpec } from './trace-request';
import type { ProbeOutcome, TraceHop } from './trace-result';
import { untilAborted } from './until-aborted';
import type { MdaPacer } from './mda-pacing';
import { interleaveByTtl, type FlowAtTtl } from './pacing/interleave';
import type { CarriedEvidence } from './mda/carried-evidence';

type Schedule = Pick<TraceSpec, 'flows' | 'firstHop' | 'maxHops' | 'maxSilentHops' | 'pathLength'> & {
  mda: { confidence: number };
  /** An earlier round's evidence, counted again after its re-checks (see CarriedEvidence). */
  carried?: CarriedEvidence;
};

/**
 * Runs a trace with the multipath detection algorithm (see mda/plan-hop.ts) and yields each hop in TTL
 * order. One probe per flow and hop; hops are explored one after the other, since the flows a hop
 * needs depend on what the hop before answered: a hop is yielded once the next one is done (finding
 * flows for a vertex may send more probes to the hop before it). The trace ends where every answer
 * of a hop ended its flow (the destination, or unreachables), after `maxSilentHops` silent hops in a
 * row, after a silent hop past a known `pathLength`, at `maxHops`, or on abort. Nothing is probed
 * past the hop where the destination answered.
 *
 * `records` receives every answer (what graphPaths and later analyses read).
 *
 * With `schedule.carried`, the round starts with the carried flows and their re-checks (TTLs
 * interleaved); unless one saw a change, the carried answers then count for the stopping rule and the
 * MDA sends only what it still lacks.
 *
 * With `pacer`, each probe waits for its turn (pacing and the responders' budget, see MdaPacer): the
 * round first replays the earlier round's flows at every TTL they met a responder at, TTLs interleaved,
 * then the MDA adds what the stopping rule still needs. A probe the budget holds back is not sent: it
 * is absent from `records` and the hops (no loss), and its hop is explored no further this round
 * (marked incomplete).
 */
export async function* runMda(
  transport: FlowTransport,
  schedule: Schedule,
  records: AnswerRecords,
  signal?: AbortSignal,
  pacer?: MdaPacer,
): AsyncGenerator<TraceHop, void, undefined> {
  const { firstHop, maxHops, maxSilentHops, pathLength } = schedule;
  const outcomes = new Map<number, FlowOutcome[]>();
  const complete = new Map<number, boolean>();
  const hopAt = (ttl: number): TraceHop => ({
    ...buildHop(ttl, outcomes.get(ttl) ?? []),
    complete: complete.get(ttl) ?? false,
  });
  /** Sends one probe in its turn; resolves whether it was sent. */
  const send = async ({ flow, ttl: at }: FlowAtTtl): Promise<boolean> => {
    if (pacer && (!(await pacer.turn(flow, at)) || signal?.aborted)) return false;
    const outcome = await transport.probe(flow, at);
    records.record(flow, at, answerOf(outcome));
    let list = outcomes.get(at);
    if (!list) outcomes.set(at, (list = []));
    list.push({ flow, outcome });
    return true;
  };
  let silent = 0;
  try {
    const { carried } = schedule;
    if (carried?.counting && carried.flows > 0) {
      records.addFlows(Math.min(schedule.flows, carried.flows));
      await transport.ensureFlows(records.flows);
      carried.bind(transport.sourcePorts ?? []);
      const rechecks = interleaveByTtl(
        carried.recheckProbes(maxHops).filter(({ flow }) => flow < records.flows),
      );
      if ((await untilAborted(Promise.all(rechecks.map(send)), signal)) === undefined) return;
      carried.settle(records);
    }
    const replay = carried ? [] : (pacer?.replay(maxHops) ?? []);
    if (replay.length > 0) {
      records.addFlows(Math.min(schedule.flows, 1 + Math.max(...replay.map(({ flow }) => flow))));
      await transport.ensureFlows(records.flows);
      const sent = replay.filter(({ flow }) => flow < records.flows).map(send);
      if ((await untilAborted(Promise.all(sent), signal)) === undefined) return;
    }
    const confidence = carried?.confidenceFor(schedule.mda.confidence) ?? schedule.mda.confidence;
    const options = { firstHop, confidence, maxFlows: schedule.flows };
    for (let ttl = firstHop; ttl <= maxHops; ttl++) {
      pacer?.beginHop(ttl);
      for (;;) {
        const plan = planHop(records, ttl, options);
        if (plan.kind === 'done') {
          complete.set(ttl, plan.complete);
          break;
        }
        if (plan.newFlows > 0) {
          records.addFlows(plan.newFlows);
          await transport.ensureFlows(records.flows);
        }
        const sent = await untilAborted(Promise.all(plan.probes.map(send)), signal);
        if (sent === undefined) return;
        if (sent.includes(false)) {
          // The budget held probes back: planning again would ask for the same ones.
          complete.set(ttl, false);
          break;
        }
      }
      if (ttl > firstHop) yield hopAt(ttl - 1);
      const answers = [...records.answersAt(ttl).values()];
      const answered = answers.some((answer) => answer.from !== null);
      const goesOn = answers.some((answer) => answer.from !== null && !answer.ends);
      silent = answered ? 0 : silent + 1;
      const pastKnownEnd = !answered && pathLength !== undefined && ttl > pathLength;
      if ((answered && !goesOn) || silent >= maxSilentHops || pastKnownEnd || ttl === maxHops) {
        yield hopAt(ttl);
        return;
      }
    }
  } finally {
    transport.close();
  }
}

function answerOf(outcome: ProbeOutcome): FlowAnswer {
  if (outcome === null || outcome.kind === 'late' || outcome.kind === 'send-failed')
    return { from: null, ends: false };
  return { from: outcome.from, ends: outcome.kind !== 'hop' };
}
