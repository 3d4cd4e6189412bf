import type { AnswerRecords } from './mda/answer-records';
import { expectedResponders, routerKeys } from './pacing/expected-responders';
import { interleaveByTtl, type FlowAtTtl } from './pacing/interleave';
import { mergedView, type PathView } from './pacing/path-view';
import type { RoundPacer } from './pacing/round-pacer';

/** How an MDA round paces its probes (see RoundPacer) and what it knows of the paths beforehand. */
export interface MdaPacing {
  readonly pacer: RoundPacer;
  /**
   * An earlier round's paths of this round's flows 0 … k − 1 (per flow, the responder at each TTL from
   * firstHop; null: none): what the budget expects, and what the round probes first, TTLs interleaved.
   */
  readonly known: ReadonlyArray<ReadonlyArray<string | null>>;
  /** Budget key of a probe at `ttl` nothing tells the responder of, behind `before` (see expectedResponders). */
  unknownKey(ttl: number, before: string | null): string;
  /**
   * The last TTL a round is expected to probe (the known path's length, or a guess): the window left
   * when the MDA starts a hop is shared out evenly among it and those up to this one, so that waiting
   * for one hop's tokens cannot starve the hops behind it.
   */
  readonly lastHop: number;
  /** Whether answers from `address` are ICMP errors a router rate-limits (not a TCP or ICMP destination's). */
  limited(address: string): boolean;
  /** The round's destination: what other traces learned as their own destination stands for it here. */
  readonly destination: string;
}

/**
 * What the budget learns in place of a trace's own destination (see learnUnknowns): behind a router
 * that many targets share, other traces' destinations are no one this trace will meet, but that a
 * destination answers there tells it that its own may. Not an address, so no router's key.
 */
const OWN_DESTINATION = '(the destination)';

/** The pacing of one MDA round over its answer records. */
export class MdaPacer {
  private readonly view: PathView;
  /** Until when the probes being sent may wait (the window's end during the replay). */
  private deadline: number;
  /** routerKeys(view) at the records' version `keysAt`; the budget was told what the view showed then. */
  private keys: ReadonlyMap<string, string> = new Map();
  private keysAt = -1;

  constructor(
    private readonly pacing: MdaPacing,
    firstHop: number,
    private readonly records: AnswerRecords,
  ) {
    this.view = mergedView(firstHop, pacing.known, {
      get flows() {
        return records.flows;
      },
      lastHop: () => records.lastTtl(),
      at: (flow, ttl) => records.at(flow, ttl)?.from,
    });
    this.deadline = pacing.pacer.end;
  }

  get skipped(): number {
    return this.pacing.pacer.skipped;
  }

  /**
   * Flows 0 … k − 1 at every TTL up to the last where the earlier round met a responder, up to
   * `maxHops`, TTLs interleaved. TTLs before that where it met none are replayed too: an answer
   * there was rate-limited away or its probe held back, and a hop left out of the replay is only
   * reached once the MDA comes to it, late in the window, after the traces replaying it took the
   * router's tokens (a UDP target sharing its first hop with two others got none there in 30 rounds).
   */
  replay(maxHops: number): FlowAtTtl[] {
    const probes: FlowAtTtl[] = [];
    for (const [flow, hops] of this.pacing.known.entries()) {
      const last = hops.findLastIndex((from) => from !== null);
      for (let i = 0; i <= last && this.view.firstHop + i <= maxHops; i++)
        probes.push({ flow, ttl: this.view.firstHop + i });
    }
    return interleaveByTtl(probes);
  }

  /**
   * The MDA starts exploring `ttl`: its probes may wait until its slice of the window left ends
   * (replayed probes, interleaved over every TTL, may wait until the window's end).
   */
  beginHop(ttl: number): void {
    const { pacer } = this.pacing;
    const now = pacer.now();
    const hopsLeft = Math.max(1, Math.max(this.pacing.lastHop, ttl) - ttl + 1);
    this.deadline = now + Math.max(0, pacer.end - now) / hopsLeft;
  }

  /** Waits for the probe's turn; false: not sent (no token within the window). */
  turn(flow: number, ttl: number): Promise<boolean> {
    return this.pacing.pacer.turn(() => {
      // The view changes only with the records (the earlier round's paths are fixed): what it tells
      // every trace's budget, and its router keys, are redone when they moved, not at every probe
      // (a round has dozens of turns: bench/results.md, "Trace, 1,000 targets at the defaults").
      if (this.records.version !== this.keysAt) {
        this.keysAt = this.records.version;
        this.keys = routerKeys(this.view);
        this.shareRouters();
        this.learnUnknowns();
      }
      const shares = expectedResponders(
        this.view,
        flow,
        ttl,
        (before) => this.unknownShares(ttl, before),
        this.keys,
      );
      for (const key of shares.keys()) if (!this.pacing.limited(key)) shares.delete(key);
      return shares;
    }, this.deadline);
  }

  /**
   * Where nothing this round or the last tells who answers at `ttl` behind `before`: the routers any
   * trace saw answer there, evenly (a load balancer spreads flows evenly over its next hops), else a
   * key of its own standing for them, shared by every trace through `before`. A flow that met nobody
   * at ttl − 1 (`before` null) is taken through the routers known there; only where nothing at all is
   * known does it draw on a key of this trace's own.
   */
  private unknownShares(ttl: number, before: string | null): string | Map<string, number> {
    if (before === null && ttl > this.view.firstHop) {
      // The flow met nobody at ttl − 1 (its probe there held back or unanswered), yet it went through
      // a router there: through the ones this trace, or else any trace, saw answer at ttl − 1. Without
      // this, every trace blind to its first hop drew on a bucket of its own for the second: at 1,000
      // traced targets behind one router, each sent that router a burst (bench/results.md, "Trace,
      // the routers' budget at scale").
      const behind = this.routersAt(ttl - 1);
      if (behind.length === 1) return this.unknownShares(ttl, behind[0]!);
      const learned = this.learnedBehind(ttl, behind);
      if (learned.length > 0) return evenly(learned);
    }
    const key = this.unknownKeyOf(ttl, before);
    const learned = this.learnedFor(key);
    return learned.length === 0 ? key : evenly(learned);
  }

  /**
   * The routers any trace saw answer for `key` (by their budget keys), this trace's destination where
   * a trace met its own: at 1,000 targets behind one router, a probe past it is charged to its own
   * destination, not shared out among 32 others' (whose buckets it then drained, so that their
   * traces went on past their destinations with probes nothing charged).
   */
  private learnedFor(key: string): string[] {
    const learned = this.pacing.pacer.learnedFor(key);
    const at = learned.indexOf(OWN_DESTINATION);
    if (at < 0) return learned;
    learned.splice(at, 1);
    const own = this.pacing.pacer.routerFor(this.pacing.destination);
    return learned.includes(own) ? learned : [...learned, own].sort();
  }

  /**
   * The routers (budget keys) at `ttl`: those this trace met there, else those any trace saw answer
   * there behind the routers at ttl − 1 (at the first hop: any trace of the family). None when unknown.
   */
  private routersAt(ttl: number): string[] {
    const { view, pacing } = this;
    const met = new Set<string>();
    for (let flow = 0; flow < view.flows; flow++) {
      const there = view.at(flow, ttl);
      if (there !== null) met.add(pacing.pacer.routerFor(there));
    }
    if (met.size > 0) return [...met].sort();
    if (ttl <= view.firstHop) return this.learnedFor(this.unknownKeyOf(view.firstHop, null));
    return this.learnedBehind(ttl, this.routersAt(ttl - 1));
  }

  /** The routers any trace saw answer at `ttl` behind one of `routers` (at ttl − 1). */
  private learnedBehind(ttl: number, routers: readonly string[]): string[] {
    const learned = new Set<string>();
    for (const router of routers)
      for (const next of this.learnedFor(this.unknownKeyOf(ttl, router))) learned.add(next);
    return [...learned].sort();
  }

  /** The unknown key of `ttl` behind `before` (an address or router key), by the budget's router key. */
  private unknownKeyOf(ttl: number, before: string | null): string {
    return this.pacing.unknownKey(ttl, before === null ? null : this.pacing.pacer.routerFor(before));
  }

  /** Tells every trace's budget who answered where this round (or the last) met a router. */
  private learnUnknowns(): void {
    const { view } = this;
    for (let ttl = view.firstHop; ttl <= view.lastHop; ttl++)
      for (let flow = 0; flow < view.flows; flow++) {
        const there = view.at(flow, ttl);
        if (there === null) continue;
        const before = ttl > view.firstHop ? view.at(flow, ttl - 1) : null;
        if (ttl > view.firstHop && before === null) continue; // not behind any router known
        const learned = there === this.pacing.destination ? OWN_DESTINATION : there;
        this.pacing.pacer.learn(this.unknownKeyOf(ttl, before), learned);
      }
  }

  /** What this round knows of routers answering from several addresses, for every trace's budget. */
  private shareRouters(): void {
    const groups = new Map<string, string[]>();
    for (const [address, key] of this.keys) {
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(address);
    }
    for (const group of groups.values()) if (group.length > 1) this.pacing.pacer.sameRouter(group);
  }
}

/** Each of `routers` an even share of a probe (a load balancer spreads flows evenly over its next hops). */
function evenly(routers: readonly string[]): Map<string, number> {
  return new Map(routers.map((router) => [router, 1 / routers.length]));
}
