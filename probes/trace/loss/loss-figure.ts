import type { TraceHop } from '../trace-result';

/**
 * What the probes of one TTL showed, counted so that rounds add up: probes sent, answers, and how
 * many of those answers were ICMP errors (time exceeded, unreachables, UDP port unreachable), which
 * routers and hosts rate-limit. A probe held back before sending (pacing budgets) is in none of them.
 */
export interface LossFigure {
  readonly ttl: number;
  readonly sent: number;
  readonly answered: number;
  /** Answers that were ICMP errors: a limiter may have dropped their siblings, so their losses may be no loss. */
  readonly limitable: number;
}

/** The figure of one hop of a trace: its probes, and which of its answers were ICMP errors. */
export function hopFigure(hop: TraceHop): LossFigure {
  let limitable = 0;
  for (const responder of hop.responders)
    if (responder.kind !== 'destination' || responder.icmp !== undefined) limitable += responder.rtts.length;
  return { ttl: hop.ttl, sent: hop.sent, answered: hop.received, limitable };
}
