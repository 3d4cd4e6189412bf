import { forwardLoss, type ForwardLoss } from './forward-loss';
import type { LossFigure } from './loss-figure';
import { sumFigures } from './loss-figure';

/**
 * Rounds a forwarding-loss estimate spans. One MDA round sends 6 to ~50 probes to a hop: a 10 %
 * loss read from 6 probes is 0 or 17 % more often than not. Ten rounds give each hop 60 to ~500.
 */
export const FORWARD_LOSS_WINDOW_ROUNDS = 10;

/**
 * Probes a TTL needs in the window before its figure counts: with none of 30 lost, the loss is below
 * 3/30 at 95 % (the rule of three); fewer say too little.
 */
export const FORWARD_LOSS_MIN_PROBES = 30;

/**
 * Forwarding loss over the last `rounds` trace rounds of one target: each TTL's probes and answers
 * summed over the window, then forwardLoss. A round that failed adds nothing.
 */
export class ForwardLossWindow {
  private readonly window: Array<readonly LossFigure[]> = [];

  constructor(
    private readonly rounds = FORWARD_LOSS_WINDOW_ROUNDS,
    private readonly minProbes = FORWARD_LOSS_MIN_PROBES,
  ) {
    if (!Number.isInteger(rounds) || rounds < 1)
      throw new RangeError(`rounds must be a positive integer, got ${rounds}`);
  }

  /** Adds a round's figures (one per hop) and returns the estimate of every TTL in the window. */
  add(figures: readonly LossFigure[]): ForwardLoss[] {
    this.window.push(figures);
    if (this.window.length > this.rounds) this.window.shift();
    return forwardLoss(sumFigures(this.window), { minProbes: this.minProbes });
  }
}
