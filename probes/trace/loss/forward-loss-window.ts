import { forwardLoss, type ForwardLoss } from './forward-loss';
import type { LossFigure } from './loss-figure';

/**
 * Probes each TTL's figure is read from: its latest rounds until they hold this many (older rounds
 * are dropped once the rest hold as many). Counted in probes, not rounds, because paced rounds give a
 * hop anything from 1 probe (a router's budget shared by several targets, 1 s rounds) to ~50 (a
 * long interval, the MDA exploring a split): with 100, a 5 % loss reads ±4.4 % (2 sd), 10 % ±6 %.
 */
export const FORWARD_LOSS_WINDOW_PROBES = 100;

/**
 * Probes a TTL needs in the window before its figure counts: with none of 30 lost, the loss is below
 * 3/30 at 95 % (the rule of three); fewer say too little, and the least of several small figures
 * reads far below the truth (0 of 10 happens a third of the time at 10 % loss).
 */
export const FORWARD_LOSS_MIN_PROBES = 30;

/**
 * Seconds a round's probes stay in the window: a TTL the budget gives few probes reads at most the
 * last 10 minutes (a loss that ended longer ago is forgotten), and a TTL no longer probed (a path
 * that got shorter) leaves the window.
 */
export const FORWARD_LOSS_MAX_AGE = 600;

export interface ForwardLossWindowOptions {
  /** Default FORWARD_LOSS_WINDOW_PROBES. */
  readonly probes?: number;
  /** Default FORWARD_LOSS_MIN_PROBES. */
  readonly minProbes?: number;
  /** Seconds; default FORWARD_LOSS_MAX_AGE. */
  readonly maxAge?: number;
  /** Seconds on a monotonic clock; default performance.now(). */
  readonly now?: () => number;
}

/** One round's figure of one TTL, and when it was added. */
interface Entry {
  readonly figure: LossFigure;
  readonly at: number;
}

/**
 * Forwarding loss over the last probes of one target: per TTL, the figures of its latest rounds summed
 * until they hold `probes` probes, none older than `maxAge`; then forwardLoss over those sums.
 * Invariants: a TTL keeps at most `probes` entries (a round that sent it nothing adds none) and none
 * older than `maxAge`; once a TTL has `probes` probes, dropping its oldest entry would leave fewer.
 * TTLs are read over different spans (a hop the budget starves over a longer one than the
 * destination): each still estimates the loss up to it, which is all forwardLoss needs.
 */
export class ForwardLossWindow {
  private readonly byTtl = new Map<number, Entry[]>();
  private readonly probes: number;
  private readonly minProbes: number;
  private readonly maxAge: number;
  private readonly now: () => number;

  constructor(options: ForwardLossWindowOptions = {}) {
    this.probes = options.probes ?? FORWARD_LOSS_WINDOW_PROBES;
    this.minProbes = options.minProbes ?? FORWARD_LOSS_MIN_PROBES;
    this.maxAge = options.maxAge ?? FORWARD_LOSS_MAX_AGE;
    this.now = options.now ?? (() => performance.now() / 1000);
    if (!Number.isInteger(this.probes) || this.probes < 1)
      throw new RangeError(`probes must be a positive integer, got ${this.probes}`);
    if (!Number.isInteger(this.minProbes) || this.minProbes < 1 || this.minProbes > this.probes)
      throw new RangeError(`minProbes must be an integer in [1, ${this.probes}], got ${this.minProbes}`);
    if (!(this.maxAge > 0)) throw new RangeError(`maxAge must be > 0 seconds, got ${this.maxAge}`);
  }

  /**
   * Adds a round's figures (one per hop) and returns the estimate of every TTL in the window and of
   * every hop of the round (one with no probe in the window reads the hops behind it).
   */
  add(figures: readonly LossFigure[]): ForwardLoss[] {
    const now = this.now();
    for (const figure of figures) {
      if (figure.sent === 0) continue;
      let entries = this.byTtl.get(figure.ttl);
      if (!entries) this.byTtl.set(figure.ttl, (entries = []));
      entries.push({ figure, at: now });
    }
    const sums: LossFigure[] = [];
    for (const [ttl, entries] of this.byTtl) {
      this.trim(entries, now);
      if (entries.length === 0) {
        this.byTtl.delete(ttl);
        continue;
      }
      sums.push(sum(ttl, entries));
    }
    // A hop of this round no probe of the window reached (the routers' budget gave it none yet):
    // its loss up to it is still bounded by what the hops behind it show, on flows through it.
    for (const figure of figures)
      if (!this.byTtl.has(figure.ttl)) sums.push({ ttl: figure.ttl, sent: 0, answered: 0, limitable: 0 });
    return forwardLoss(sums, { minProbes: this.minProbes });
  }

  /** Drops entries past maxAge, then the oldest while the rest still hold `probes` probes. */
  private trim(entries: Entry[], now: number): void {
    let drop = 0;
    while (drop < entries.length && now - entries[drop]!.at > this.maxAge) drop++;
    let held = 0;
    for (let i = drop; i < entries.length; i++) held += entries[i]!.figure.sent;
    while (drop < entries.length - 1 && held - entries[drop]!.figure.sent >= this.probes)
      held -= entries[drop++]!.figure.sent;
    if (drop > 0) entries.splice(0, drop);
  }
}

function sum(ttl: number, entries: readonly Entry[]): LossFigure {
  let sent = 0;
  let answered = 0;
  let limitable = 0;
  for (const { figure } of entries) {
    sent += figure.sent;
    answered += figure.answered;
    limitable += figure.limitable;
  }
  return { ttl, sent, answered, limitable };
}
