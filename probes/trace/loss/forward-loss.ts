import type { LossFigure } from './loss-figure';

/**
 * The forwarding loss of one hop: the loss traffic through it suffers on its way there, told apart
 * from answers a router chose not to send.
 */
export interface ForwardLoss {
  readonly ttl: number;
  /** Fraction of the traffic lost up to this hop; null when it cannot be told from rate limiting. */
  readonly ratio: number | null;
  /** TTL of the figure the ratio comes from (null ratio: none). */
  readonly from: number | null;
  /** Probes that figure counted (0 when the ratio is null): what a confidence interval needs. */
  readonly probes: number;
}

export interface ForwardLossOptions {
  /** Figures with fewer probes are left out: too few to say anything (see FORWARD_LOSS_MIN_PROBES). */
  readonly minProbes: number;
}

/**
 * Forwarding loss per hop. A probe to TTL t crosses every link up to hop t, so a packet dropped on
 * the way to hop h is missing at every TTL t ≥ h, while a router that does not answer (rate limits,
 * ICMP filtered) takes answers away at its own TTL only: the loss at every TTL t ≥ h is at least
 * the forwarding loss up to h (every probe at t is on a flow through h). The smallest of them is the
 * estimate, and it never exceeds what a later hop or the destination shows.
 *
 * Loss that came only from ICMP errors (every router's time exceeded, the UDP port unreachable of
 * the destination) cannot be told from rate limiting: a limiter can take answers away but never add
 * one. So the estimate is given only when some figure at t ≥ h is clean: every probe answered, or
 * the answers were none a rate limit applies to (TCP SYN-ACK or RST, ICMP echo reply). Otherwise it
 * is unknown (null), never a loss.
 *
 * Figures must be on the same flows per round (one trace's hops, or sums of whole rounds).
 */
export function forwardLoss(figures: readonly LossFigure[], options: ForwardLossOptions): ForwardLoss[] {
  const ordered = [...figures].sort((a, b) => a.ttl - b.ttl);
  const result: ForwardLoss[] = [];
  let best: LossFigure | undefined;
  let clean = false;
  // From the last TTL back: `best` is the lowest-loss figure at this TTL or behind it.
  for (let i = ordered.length - 1; i >= 0; i--) {
    const figure = ordered[i]!;
    if (figure.sent >= options.minProbes) {
      if (best === undefined || lossOf(figure) < lossOf(best)) best = figure;
      clean ||= isClean(figure);
    }
    result.push(
      best !== undefined && clean
        ? { ttl: figure.ttl, ratio: lossOf(best), from: best.ttl, probes: best.sent }
        : { ttl: figure.ttl, ratio: null, from: null, probes: 0 },
    );
  }
  return result.reverse();
}

function lossOf(figure: LossFigure): number {
  return (figure.sent - figure.answered) / figure.sent;
}

/** Whether a figure's losses are losses: none at all, or its answers were not rate-limited ones. */
function isClean(figure: LossFigure): boolean {
  return figure.answered === figure.sent || (figure.answered > 0 && figure.limitable === 0);
}
