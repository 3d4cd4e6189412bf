import type { TraceResult } from '../trace-result';

/** A responder at one TTL, as known across rounds. */
interface Vertex {
  /** Responders at the TTL before from which some flow came to this one. */
  readonly preds: Set<string>;
  /** Rounds in a row, since it last answered, whose probes ruled it out (see isAbsent). */
  absentRounds: number;
  /** The destination or an unreachable: no flow goes on from it. */
  ends: boolean;
  /** A round ruled out a next hop beyond those known (see isAbsent): one appearing later is a change. */
  nextHopsComplete: boolean;
}

/** What one round changed in the known topology. */
export interface PathWatchChange {
  /**
   * Responders seen for the first time (or again after they were declared gone) where the next hops
   * were known complete (a change), as "ttl address".
   */
  readonly appeared: readonly string[];
  /** Responders seen for the first time where earlier rounds could not have ruled them out (no change). */
  readonly discovered: readonly string[];
  /** Responders declared gone this round, as "ttl address". */
  readonly gone: readonly string[];
  /** A responder appeared or went (never on the first round: it sets what is known). */
  readonly changed: boolean;
}

/**
 * The topology a target's traces have shown, kept across rounds, so that a path change is a change
 * of the network and not of what one round happened to see. A responder enters when it answers. It
 * leaves only on evidence of the MDA's own strength, in two rounds in a row (see isAbsent): the
 * probes at its TTL through the responders it was reached from were answered by others too often for
 * it to be there, silent, taking its 1/k of the flows (k: the next hops known from those responders,
 * itself included). A rate-limited or filtered responder leaves its probes unanswered, and is kept;
 * a round it was not probed in is no evidence. A responder whose every known predecessor left leaves
 * with them.
 *
 * Limits: links (which responder follows which) are learned, never unlearned but with their ends;
 * a responder that no round probes any more (TTLs past a shorter path's destination) stays.
 */
export class PathWatch {
  private readonly layers = new Map<number, Map<string, Vertex>>();
  private rounds = 0;
  /** A round ruled out another responder at the first hop. */
  private firstHopComplete = false;

  constructor(private readonly confidence: number) {
    if (!(confidence > 0 && confidence < 1))
      throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  }

  /** Reads a round: which responders answered, which flows went where. */
  observe(result: Pick<TraceResult, 'firstHop' | 'hops' | 'flows'>): PathWatchChange {
    const appeared: string[] = [];
    const discovered: string[] = [];
    const fresh: Array<{ ttl: number; address: string; flows: readonly number[] }> = [];
    const gone: string[] = [];
    const seen = new Set<string>();
    const answersAt = (flow: readonly (string | null)[], ttl: number): string | null =>
      flow[ttl - result.firstHop] ?? null;
    for (const hop of result.hops)
      for (const responder of hop.responders) {
        if (responder.rtts.length === 0) continue;
        // The destination met one TTL later by flows whose answer before was lost (its own answer
        // rate-limited, say: the flow went on) is no longer path: no flow showed a hop before it.
        const late =
          responder.kind !== 'hop' &&
          this.endsBefore(responder.address, hop.ttl) &&
          responder.flows.every((flow) => answersAt(result.flows[flow]?.hops ?? [], hop.ttl - 1) === null);
        if (late) continue;
        const layer = this.layer(hop.ttl);
        let vertex = layer.get(responder.address);
        if (vertex === undefined) {
          layer.set(
            responder.address,
            (vertex = { preds: new Set(), absentRounds: 0, ends: false, nextHopsComplete: false }),
          );
          fresh.push({ ttl: hop.ttl, address: responder.address, flows: responder.flows });
        }
        vertex.absentRounds = 0;
        vertex.ends ||= responder.kind !== 'hop';
        seen.add(`${hop.ttl} ${responder.address}`);
      }
    const unansweredAt = new Map(result.hops.map((hop) => [hop.ttl, hop.sent - hop.received]));
    const lastTtl = Math.max(result.firstHop - 1, ...result.hops.map((hop) => hop.ttl));
    for (const flow of result.flows)
      for (let ttl = result.firstHop + 1; ttl <= lastTtl; ttl++) {
        const from = answersAt(flow.hops, ttl - 1);
        const to = answersAt(flow.hops, ttl);
        if (from !== null && to !== null) this.layers.get(ttl)?.get(to)?.preds.add(from);
      }
    // A new responder is a change where earlier rounds had found every next hop of where it came
    // from; elsewhere (rate limits hid answers, the first rounds) it is a discovery.
    for (const { ttl, address, flows } of fresh) {
      const before = this.layers.get(ttl - 1);
      const from = flows
        .map((flow) => answersAt(result.flows[flow]?.hops ?? [], ttl - 1))
        .filter((pred): pred is string => pred !== null);
      const complete =
        ttl === result.firstHop
          ? this.firstHopComplete
          : from.length > 0
            ? from.some((pred) => before?.get(pred)?.nextHopsComplete === true)
            : before !== undefined && [...before.values()].every((vertex) => vertex.nextHopsComplete);
      (complete ? appeared : discovered).push(`${ttl} ${address}`);
    }
    this.learnCompleteness(result, unansweredAt);
    for (const [ttl, layer] of [...this.layers].sort(([a], [b]) => a - b)) {
      const before = this.layers.get(ttl - 1);
      for (const [address, vertex] of layer) {
        if (seen.has(`${ttl} ${address}`)) continue;
        const preds = [...vertex.preds].filter((pred) => before?.has(pred));
        // From the one responder before (or none known), every flow at this TTL could have met it.
        const everyFlow = ttl === result.firstHop || preds.length === 0 || (before?.size ?? 0) <= 1;
        let through = 0;
        for (const flow of result.flows) {
          if (answersAt(flow.hops, ttl) === null) continue;
          if (everyFlow || preds.includes(answersAt(flow.hops, ttl - 1) ?? '')) through++;
        }
        const k = everyFlow ? layer.size : this.nextHopsOf(layer, preds);
        // A round with as many unanswered probes as its share could have hidden it whole says
        // nothing either way (rate limits took the answers that would tell): it neither counts nor resets.
        const unanswered = unansweredAt.get(ttl) ?? 0;
        const probes = through + unanswered;
        if (through > 0 && unanswered * Math.max(k, 2) < probes)
          vertex.absentRounds = isAbsent(probes, unanswered, Math.max(k, 2), this.confidence)
            ? vertex.absentRounds + 1
            : 0;
        if (vertex.absentRounds >= ABSENT_ROUNDS_GONE) {
          layer.delete(address);
          gone.push(`${ttl} ${address}`);
        }
      }
      // Whoever was reached only through responders that left leaves with them.
      for (const [address, vertex] of layer) {
        if (vertex.preds.size === 0 || seen.has(`${ttl} ${address}`)) continue;
        if ([...vertex.preds].every((pred) => !before?.has(pred))) {
          layer.delete(address);
          gone.push(`${ttl} ${address}`);
        }
      }
      if (layer.size === 0) this.layers.delete(ttl);
    }
    const changed = this.rounds > 0 && (appeared.length > 0 || gone.length > 0);
    this.rounds++;
    return { appeared, discovered, gone, changed };
  }

  /**
   * Marks the responders whose next hops this round found complete: the probes through one at the
   * TTL after it, answered by the next hops known, were enough to rule out one more (isAbsent).
   */
  private learnCompleteness(
    result: Pick<TraceResult, 'firstHop' | 'flows'>,
    unansweredAt: ReadonlyMap<number, number>,
  ): void {
    const answersAt = (flow: readonly (string | null)[], ttl: number): string | null =>
      flow[ttl - result.firstHop] ?? null;
    for (const [ttl, layer] of this.layers) {
      const unanswered = unansweredAt.get(ttl);
      if (unanswered === undefined) continue; // not probed this round
      const answered = result.flows.filter((flow) => answersAt(flow.hops, ttl) !== null);
      const rulesOut = (through: number, k: number): boolean =>
        through > 0 && isAbsent(through + unanswered, unanswered, k + 1, this.confidence);
      const before = this.layers.get(ttl - 1);
      if (ttl === result.firstHop) {
        this.firstHopComplete ||= rulesOut(answered.length, layer.size);
        continue;
      }
      for (const [address, vertex] of before ?? []) {
        if (vertex.nextHopsComplete || vertex.ends) continue;
        const through =
          before!.size <= 1
            ? answered.length
            : answered.filter((flow) => answersAt(flow.hops, ttl - 1) === address).length;
        const k = before!.size <= 1 ? layer.size : this.nextHopsOf(layer, [address]);
        vertex.nextHopsComplete = rulesOut(through, Math.max(k, 1));
      }
    }
  }

  /** Distinct paths through the known topology, from the first known hop to where each ends. */
  get paths(): number {
    const ttls = [...this.layers.keys()].sort((a, b) => a - b);
    if (ttls.length === 0) return 0;
    let counts = new Map<string | null, number>();
    let nextLayer: ReadonlyMap<string, Vertex> | undefined;
    for (let ttl = ttls.at(-1)!; ttl >= ttls[0]!; ttl--) {
      const layer = this.layers.get(ttl);
      const here = new Map<string | null, number>();
      const vertices: Array<[string | null, Vertex | undefined]> = layer ? [...layer] : [[null, undefined]];
      for (const [address, vertex] of vertices) {
        if (vertex?.ends) {
          here.set(address, 1);
          continue;
        }
        let sum = 0;
        let onward = false;
        if (nextLayer === undefined) {
          sum = counts.get(null) ?? 0;
          onward = counts.has(null);
        } else
          for (const [next, w] of nextLayer) {
            // Only links seen: a responder no flow was seen to reach from a known one (its flows'
            // answers before were lost) is on no path until one is, so that learning links never
            // takes a path away (after a silent hop, every responder is linked from it).
            const linked = address === null || w.preds.has(address);
            if (!linked) continue;
            sum += counts.get(next) ?? 0;
            onward = true;
          }
        here.set(address, onward ? sum : 1);
      }
      counts = here;
      nextLayer = layer;
    }
    let total = 0;
    for (const count of counts.values()) total += count;
    return total;
  }

  private layer(ttl: number): Map<string, Vertex> {
    let layer = this.layers.get(ttl);
    if (!layer) this.layers.set(ttl, (layer = new Map()));
    return layer;
  }

  /** Whether `address` is known to end flows at a TTL before `ttl`. */
  private endsBefore(address: string, ttl: number): boolean {
    for (const [at, layer] of this.layers) if (at < ttl && layer.get(address)?.ends === true) return true;
    return false;
  }

  /** Next hops known from any of `preds` (responders at the TTL before `layer`'s). */
  private nextHopsOf(layer: ReadonlyMap<string, Vertex>, preds: readonly string[]): number {
    let k = 0;
    for (const vertex of layer.values()) if (preds.some((pred) => vertex.preds.has(pred))) k++;
    return k;
  }
}

/**
 * Rounds in a row that must rule a responder out: the MDA itself misses a next hop in a round with
 * probability up to 1 − confidence (a change of the hashing moves the flows that found it), so one
 * round's absence is not enough; the round after, fresh flows look again. A removed branch is then
 * counted on the second round after it went.
 */
const ABSENT_ROUNDS_GONE = 2;

/**
 * Whether a round's probes rule a responder out at `confidence`: were it there with its share 1/k
 * of the `probes` through its predecessors, at most `unanswered` of them could have been its own
 * (silent); that happens with probability P(Binomial(probes, 1/k) ≤ unanswered), and it is ruled out
 * when that is at most (1 − confidence)/k. With every probe answered this is the MDA's stopping rule
 * itself (((k − 1)/k)^n ≤ α/k: n ≥ n_k, mda/stopping-points.ts); each unanswered probe asks for more.
 */
function isAbsent(probes: number, unanswered: number, k: number, confidence: number): boolean {
  return binomialCdf(unanswered, probes, 1 / k) <= (1 - confidence) / k;
}

/** P(X ≤ x) for X ~ Binomial(n, p), 0 < p < 1. */
function binomialCdf(x: number, n: number, p: number): number {
  if (x >= n) return 1;
  let term = (1 - p) ** n; // P(X = 0)
  let sum = term;
  for (let i = 1; i <= x; i++) {
    term *= ((n - i + 1) / i) * (p / (1 - p));
    sum += term;
  }
  return Math.min(1, sum);
}
