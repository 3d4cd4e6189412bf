import { invalidOption } from '../../errors';
import { systemPacingClock, type PacingClock } from './pacing-clock';

/** How many ICMP errors a responder is expected to send us: a burst, then a steady rate. */
export interface BudgetLimits {
  /** Answers a responder sends at once after a quiet spell (Linux: 6). */
  readonly burst: number;
  /** Answers per second after the burst (Linux: 1 per source address, net.ipv4.icmp_ratelimit=1000 ms). */
  readonly perSecond: number;
}

/**
 * Linux's per-source limit on ICMP errors (time exceeded, unreachable): inet_peer_xrlim_allow with
 * icmp_ratelimit 1000 ms and XRLIM_BURST_FACTOR 6. Hardware routers often allow less (a control-plane
 * policer shared by every source): lower it for them.
 */
export const LINUX_ICMP_LIMITS: BudgetLimits = { burst: 6, perSecond: 1 };

export interface ResponderBudgetOptions {
  /** Default LINUX_ICMP_LIMITS. */
  readonly limits?: BudgetLimits;
  /** Default performance.now() and timers. */
  readonly clock?: PacingClock;
}

/**
 * Tokens come back at this share of the configured rate: a router's token comes back on the second
 * (Linux counts in jiffies), and a probe sent on that second arrives a millisecond early or late at
 * random; 5 % slower keeps every probe after its token (bench/results.md, "Trace pacing, e2e runs").
 */
export const RATE_MARGIN = 0.95;

/**
 * How long a router's next token stays kept for a trace its budget held back (see reserve): longer
 * than any trace interval it should outlast (a trace that went, or runs hourly, gives it up then).
 */
export const DEBT_SECONDS = 600;

/** Responders remembered before idle ones (whose bucket is full again) are forgotten. */
const PRUNE_AT = 4096;

/** Unknown keys whose answering routers are remembered (see learn); past it, the oldest are forgotten. */
const MAX_LEARNED_KEYS = 4096;
/** Routers remembered per unknown key: a load balancer with more next hops is charged as its first ones. */
const MAX_LEARNED_PER_KEY = 32;

/**
 * A token bucket per responder address, shared by every trace of a process (every target, protocol
 * and family: a router limits the ICMP errors it sends to one source, whatever their type), so that
 * hundreds of targets whose paths cross one router together stay within what it answers.
 *
 * Kept as the generic cell rate algorithm (GCRA): per responder, the theoretical time its bucket
 * is empty again (`emptyAt`); a probe reserves the earliest moment a token is there, so waiting
 * probes are served in the order they asked and no token is promised twice. A probe whose responder
 * is one of k candidates costs 1/k of a token at each (its expected share). Invariant: for every
 * responder, reservations made in any window of t seconds cost at most burst + t × perSecond × RATE_MARGIN
 * tokens.
 *
 * Fair between traces: first come, first served alone let the trace whose probes to a shared router
 * come first in each second take its every token, round after round (in trace-forward-loss, one of
 * three targets sent its first hop no probe in 60 rounds). So a trace refused at a router (its
 * `claimant`), unless it reserved that router's last token, is owed that router's next token: until
 * it reserves there again (or DEBT_SECONDS pass), other traces get only tokens there at once beyond
 * one kept for it, and reserve none ahead. One debt per router at a time: traces starved in turn are
 * served in turn. Debts only refuse others, so the invariant holds.
 */
export class ResponderBudget {
  private limits: BudgetLimits;
  private readonly clock: PacingClock;
  /** Seconds at which each router's bucket holds no token (past: the bucket is full), by its least address. */
  private readonly emptyAt = new Map<string, number>();
  /** Addresses known to be another's router, to the least address of that router (see sameRouter). */
  private readonly routerOf = new Map<string, string>();
  /** Per unknown key (a first hop, the routers behind one), the routers some trace saw answer there (see learn). */
  private readonly learned = new Map<string, Set<string>>();
  /** Per router key, the trace owed its next token and since when (seconds on the clock). */
  private readonly owed = new Map<string, { readonly claimant: string; readonly since: number }>();
  /** Per router key, the trace that reserved its last token (never owed the next: it just had one). */
  private readonly lastClaimant = new Map<string, string>();

  constructor(options: ResponderBudgetOptions = {}) {
    this.limits = checkLimits(options.limits ?? LINUX_ICMP_LIMITS);
    this.clock = options.clock ?? systemPacingClock;
  }

  get current(): BudgetLimits {
    return this.limits;
  }

  /** New limits for reservations from now on (a reload); tokens reserved stay reserved. */
  configure(limits: BudgetLimits): void {
    this.limits = checkLimits(limits);
  }

  /**
   * Reserves, at the earliest moment all of them have it, a share of a token of each router a probe
   * may be answered by: `responders` maps each to its share (a list: an even split), if that moment is
   * no later than `notAfter`; returns it (seconds on the clock), or undefined and reserves nothing.
   */
  /**
   * `addresses` are one router's (a trace found them to be: see routerKeys): from now on they share
   * one bucket, for every trace, holding the fewest tokens any of them held. Never undone: a wrong
   * merge only makes probing slower.
   */
  sameRouter(addresses: readonly string[]): void {
    const routers = [...new Set(addresses.map((address) => this.routerFor(address)))];
    if (routers.length < 2) return;
    const least = routers.reduce((a, b) => (b < a ? b : a));
    let empty: number | undefined;
    for (const router of routers) {
      const at = this.emptyAt.get(router);
      if (at !== undefined) empty = Math.max(empty ?? at, at);
      this.emptyAt.delete(router);
      if (router !== least) this.routerOf.set(router, least);
    }
    if (empty !== undefined) this.emptyAt.set(least, empty);
  }

  /**
   * `router` answered a probe that a trace not knowing it would charge to `unknown` (the first hop of
   * a family, the routers behind one router): from now on every trace charges such a probe to the
   * routers learned there (learnedFor), so that one router is not drawn on through two buckets (its
   * own, by the traces that know it, and the unknown one, by those that do not: together twice its
   * rate, so that the second kind's probes were never answered and it never learned better).
   */
  learn(unknown: string, router: string): void {
    let routers = this.learned.get(unknown);
    if (routers === undefined) {
      if (this.learned.size >= MAX_LEARNED_KEYS) this.learned.delete(this.learned.keys().next().value!);
      this.learned.set(unknown, (routers = new Set()));
    }
    if (routers.size < MAX_LEARNED_PER_KEY) routers.add(router);
  }

  /** The routers learned to answer for `unknown` (by their router key), none if none. */
  learnedFor(unknown: string): string[] {
    const routers = this.learned.get(unknown);
    return routers ? [...new Set([...routers].map((address) => this.routerFor(address)))].sort() : [];
  }

  /** The key of the router `address` belongs to (the least address known of it). */
  routerFor(address: string): string {
    let router = address;
    for (let next = this.routerOf.get(router); next !== undefined; next = this.routerOf.get(router))
      router = next;
    return router;
  }

  reserve(
    responders: readonly string[] | ReadonlyMap<string, number>,
    notAfter: number,
    /** Who asks (a trace's identity): refused, it is owed the routers' next tokens (see the class). */
    claimant?: string,
  ): number | undefined {
    const now = this.clock.now();
    const costs = new Map<string, number>();
    const entries: Array<readonly [string, number]> = Array.isArray(responders)
      ? (responders as readonly string[]).map((address) => [address, 1 / responders.length] as const)
      : [...(responders as ReadonlyMap<string, number>)];
    for (const [address, cost] of entries) {
      const router = this.routerFor(address);
      costs.set(router, Math.min(1, (costs.get(router) ?? 0) + cost));
    }
    const rate = this.limits.perSecond * RATE_MARGIN;
    let at = now;
    // A full bucket is empty after `burst` tokens: a reservation may start (burst − cost) tokens early.
    for (const [router, cost] of costs) {
      const empty = Math.max(this.emptyAt.get(router) ?? now, now);
      const debtor = this.debtor(router, now);
      if (debtor === undefined || debtor === claimant)
        at = Math.max(at, empty - (this.limits.burst - cost) / rate);
      // Owed to another trace: only a token there now and beyond the one kept for it. Reserving ahead
      // would take the time the kept token needs to be there when its trace asks.
      else if (empty - (this.limits.burst - cost - 1) / rate > now) at = Infinity;
    }
    // A token there now is always had: `notAfter` bounds waiting, and may lie a moment in the past.
    if (at > Math.max(notAfter, now)) {
      if (claimant !== undefined)
        for (const router of costs.keys())
          if (this.debtor(router, now) === undefined && this.lastClaimant.get(router) !== claimant)
            this.owed.set(router, { claimant, since: now });
      return undefined;
    }
    for (const [router, cost] of costs) {
      const empty = Math.max(this.emptyAt.get(router) ?? now, now);
      this.emptyAt.set(router, Math.max(empty, at) + cost / rate);
      if (claimant === undefined) continue;
      this.lastClaimant.set(router, claimant);
      if (this.owed.get(router)?.claimant === claimant) this.owed.delete(router);
    }
    if (this.emptyAt.size > PRUNE_AT) this.prune(now);
    return at;
  }

  /** The trace owed `router`'s next token, if its debt has not lapsed. */
  private debtor(router: string, now: number): string | undefined {
    const debt = this.owed.get(router);
    if (debt === undefined) return undefined;
    if (now - debt.since <= DEBT_SECONDS) return debt.claimant;
    this.owed.delete(router);
    return undefined;
  }

  /** Tokens `responder` holds now (what the tests and the bench read). */
  tokens(responder: string): number {
    responder = this.routerFor(responder);
    const now = this.clock.now();
    const empty = Math.max(this.emptyAt.get(responder) ?? now, now);
    return this.limits.burst - (empty - now) * this.limits.perSecond * RATE_MARGIN;
  }

  /** Responders with a bucket that is not full. */
  get size(): number {
    return this.emptyAt.size;
  }

  private prune(now: number): void {
    for (const [responder, empty] of this.emptyAt) if (empty <= now) this.emptyAt.delete(responder);
    for (const router of [...this.owed.keys()]) this.debtor(router, now);
    for (const router of [...this.lastClaimant.keys()])
      if (!this.emptyAt.has(router)) this.lastClaimant.delete(router);
  }
}

function checkLimits(limits: BudgetLimits): BudgetLimits {
  if (!Number.isInteger(limits.burst) || limits.burst < 1)
    throw invalidOption('limits.burst', limits.burst, 'an integer of at least 1');
  if (!(limits.perSecond > 0) || !Number.isFinite(limits.perSecond))
    throw invalidOption('limits.perSecond', limits.perSecond, 'answers per second > 0');
  return { burst: limits.burst, perSecond: limits.perSecond };
}
