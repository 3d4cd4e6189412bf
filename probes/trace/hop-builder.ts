import type { HopResponder, ProbeOutcome, TraceHop } from './trace-result';

/** One settled probe of a hop. */
export interface FlowOutcome {
  flow: number;
  outcome: ProbeOutcome;
}

/** Folds the settled probes of one TTL into a hop: responders in order of first answer, counts, loss. */
export function buildHop(ttl: number, outcomes: readonly FlowOutcome[]): TraceHop {
  const responders = new Map<string, HopResponder>();
  let received = 0;
  let sendFailures = 0;
  let late = 0;
  for (const { flow, outcome } of outcomes) {
    if (outcome === null) continue;
    if (outcome.kind === 'send-failed') {
      sendFailures++;
      continue;
    }
    if (outcome.kind === 'late') {
      late++;
      continue;
    }
    received++;
    let responder = responders.get(outcome.from);
    if (!responder) {
      responder = { address: outcome.from, kind: outcome.kind, rtts: [], flows: [] };
      if (outcome.icmp && outcome.kind !== 'hop') responder.icmp = { ...outcome.icmp };
      responders.set(outcome.from, responder);
    }
    responder.rtts.push(outcome.rtt);
    if (!responder.flows.includes(flow)) responder.flows.push(flow);
  }
  for (const responder of responders.values()) responder.flows.sort((a, b) => a - b);
  const sent = outcomes.length;
  return {
    ttl,
    responders: [...responders.values()],
    sent,
    received,
    sendFailures,
    late,
    loss: sent === 0 ? 0 : (sent - received) / sent,
  };
}

/** Whether an outcome ends its flow: the destination answered, or something said it is unreachable. */
export function endsFlow(outcome: ProbeOutcome): boolean {
  return outcome !== null && (outcome.kind === 'destination' || outcome.kind === 'unreachable');
}
