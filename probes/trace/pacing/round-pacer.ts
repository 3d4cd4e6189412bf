import type { PacingClock } from './pacing-clock';
import type { ResponderBudget } from './responder-budget';

/** How one round spreads its probes. */
export interface RoundPacing {
  /** Seconds from the round's start over which its probes are spread, and within which a probe may wait for a token. */
  readonly window: number;
  /** Probes the round is expected to send (the previous round's): consecutive probes leave window / probes apart. */
  readonly probes: number;
}

/**
 * Gives one round's probes their turns: each leaves at least window / probes after the one before
 * (until the window ends: a round that sends more than expected sends the rest without gaps), then,
 * with a budget, when every router it is expected from has its share of a token. A probe that would
 * wait for a token past its deadline (the window's end, or its hop's slice) is not sent (turn()
 * resolves false): the round goes on without it, and it is no loss.
 */
export class RoundPacer {
  /** Seconds on the clock at which the window ends. */
  readonly end: number;
  private readonly gap: number;
  private nextSlot: number;
  private heldBack = 0;
  private waitedFor = 0;

  constructor(
    pacing: RoundPacing,
    private readonly clock: PacingClock,
    private readonly budget?: ResponderBudget,
    /** The trace's identity at the budget: owed a token where it was refused one (ResponderBudget). */
    private readonly claimant?: string,
  ) {
    const start = clock.now();
    this.end = start + pacing.window;
    this.gap = pacing.window / Math.max(1, pacing.probes);
    this.nextSlot = start;
  }

  /** Tells the budget that `addresses` are one router's (see ResponderBudget.sameRouter). */
  sameRouter(addresses: readonly string[]): void {
    this.budget?.sameRouter(addresses);
  }

  /** Tells the budget that `router` answered where `unknown` stood for who would (see ResponderBudget.learn). */
  learn(unknown: string, router: string): void {
    this.budget?.learn(unknown, router);
  }

  /** The routers learned to answer for `unknown` (none without a budget). */
  learnedFor(unknown: string): string[] {
    return this.budget?.learnedFor(unknown) ?? [];
  }

  /** The budget's key for `address`'s router (the address itself without a budget). */
  routerFor(address: string): string {
    return this.budget?.routerFor(address) ?? address;
  }

  now(): number {
    return this.clock.now();
  }

  /** Probes not sent: no token for them within the window. */
  get skipped(): number {
    return this.heldBack;
  }

  /** Probes that waited for a token (sent later than their pacing slot). */
  get waited(): number {
    return this.waitedFor;
  }

  /**
   * Waits for the probe's turn. `responders` (the budget keys it is expected to draw on) is read
   * once the pacing slot came, so that answers received meanwhile inform it. `deadline` (seconds on
   * the clock, at most the window's end): the latest the probe may wait until, for its slot or a
   * token (a hop's slice of the window).
   */
  async turn(
    responders: () => readonly string[] | ReadonlyMap<string, number>,
    deadline = this.end,
  ): Promise<boolean> {
    const now = this.clock.now();
    const last = Math.max(now, Math.min(deadline, this.end));
    const slot = Math.min(Math.max(now, this.nextSlot), last);
    this.nextSlot = slot + this.gap;
    await this.clock.until(slot);
    if (!this.budget) return true;
    // Past its deadline (its hop's slice over when its turn came), a probe is not sent, even where a
    // router would have a token now: the hops behind it have that time (measured: sending such
    // probes doubled the loss at the lab's hop 3, whose routers' shares the budget can only estimate).
    if (this.clock.now() > last) {
      this.heldBack++;
      return false;
    }
    const at = this.budget.reserve(responders(), Math.max(last, this.clock.now()), this.claimant);
    if (at === undefined) {
      this.heldBack++;
      return false;
    }
    if (at > this.clock.now()) {
      this.waitedFor++;
      await this.clock.until(at);
    }
    return true;
  }
}
