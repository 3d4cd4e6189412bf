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
}

/** The pacing of one MDA round over its answer records. */
export class MdaPacer {
  private readonly view: PathView;
  /** Until when the probes being sent may wait (the window's end during the replay). */
  private deadline: number;

  constructor(
    private readonly pacing: MdaPacing,
    firstHop: number,
    records: AnswerRecords,
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

  /** Flows 0 … k − 1 at every TTL where the earlier round met a responder, up to `maxHops`, TTLs interleaved. */
  replay(maxHops: number): FlowAtTtl[] {
    const probes: FlowAtTtl[] = [];
    for (const [flow, hops] of this.pacing.known.entries())
      for (const [i, from] of hops.entries())
        if (from !== null && this.view.firstHop + i <= maxHops)
          probes.push({ flow, ttl: this.view.firstHop + i });
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
      this.shareRouters();
      const shares = expectedResponders(this.view, flow, ttl, (before) =>
        this.pacing.unknownKey(ttl, before),
      );
      for (const key of shares.keys()) if (!this.pacing.limited(key)) shares.delete(key);
      return shares;
    }, this.deadline);
  }

  /** What this round knows of routers answering from several addresses, for every trace's budget. */
  private shareRouters(): void {
    const groups = new Map<string, string[]>();
    for (const [address, key] of routerKeys(this.view)) {
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(address);
    }
    for (const group of groups.values()) if (group.length > 1) this.pacing.pacer.sameRouter(group);
  }
}
