import type { AnswerRecords, FlowAnswer } from './answer-records';
import { EVIDENCE_MAX_AGE, FRESH_ROUNDS_AFTER_CHANGE, type MdaEvidence } from './evidence';
import type { ProbeOrder } from './plan-hop';
import { FORWARD_LOSS_MAX_AGE, FORWARD_LOSS_MIN_PROBES } from '../loss/forward-loss-window';

/** Rounds of a minute (the default interval) within the forwarding-loss window's age. */
const ROUNDS_IN_WINDOW = FORWARD_LOSS_MAX_AGE / 60;

/**
 * Re-checks a round sends at least at every TTL carried (as many as there are answers there): the
 * forwarding-loss window needs FORWARD_LOSS_MIN_PROBES at a TTL within its age for its figure to
 * count, the destination's above all (its answers tell loss from rate limiting); at the default
 * interval that is 3 a round.
 */
const MIN_RECHECKS_PER_TTL = Math.ceil(FORWARD_LOSS_MIN_PROBES / ROUNDS_IN_WINDOW);

/**
 * The most a round may lose of a hop's probes and still count as one of the rounds explored afresh
 * after a change: the path watch rules a responder out only on rounds whose answers could show it
 * gone, so rounds where rate limits took many answers are done again once they come back.
 */
const MAX_FRESH_ROUND_LOSS = 0.25;

/**
 * An earlier round's evidence in the round that counts it again. Flows keep their 5-tuples (source
 * ports), so while the topology stays, a load balancer sends each where it sent it before: an answer
 * seen in one of the last EVIDENCE_MAX_AGE rounds counts for the stopping rule as if seen now, and a
 * round only sends what the rule still lacks. Before counting, the round re-checks (recheckProbes):
 * per TTL and link (the responder a flow met before, the one it met there), the oldest quarter of the
 * flows carried on it, at least one (also at the TTL before: the round's own answers show the link),
 * and every one that would be too old; at least MIN_RECHECKS_PER_TTL at each TTL. A re-check answered by
 * another responder than before is a change: no carried answer counts this round nor the next
 * (FRESH_ROUNDS_AFTER_CHANGE rounds that lose at most MAX_FRESH_ROUND_LOSS of any hop's probes),
 * which explore as a first round does, at 1 − (1 − confidence)³.
 * Unanswered re-checks tell nothing (rate limits, loss): the answer carried keeps counting until too old.
 */
export class CarriedEvidence {
  /** This round's number (the evidence's + 1). */
  readonly round: number;
  private usable: readonly boolean[] = [];
  private rechecks: ProbeOrder[] = [];
  private changeSeen = false;

  constructor(
    private readonly evidence: MdaEvidence,
    private readonly maxAge = EVIDENCE_MAX_AGE,
  ) {
    this.round = evidence.round + 1;
  }

  /** Whether carried answers may count this round (no change seen in the last rounds). */
  get counting(): boolean {
    return this.evidence.freshRounds === 0 && !this.changeSeen;
  }

  /**
   * The confidence the round explores at: after a change, 1 − (1 − confidence)³, as a target's first
   * round, since what it finds is what the rounds after it count on.
   */
  confidenceFor(confidence: number): number {
    return this.counting ? confidence : 1 - (1 - confidence) ** 3;
  }

  /** Whether a re-check saw a flow go where it did not before. */
  get changed(): boolean {
    return this.changeSeen;
  }

  /** Rounds after this one that must explore without carried answers, given the loss of this one's hops. */
  freshRoundsAfter(hopLosses: readonly number[]): number {
    const left = this.changeSeen ? FRESH_ROUNDS_AFTER_CHANGE : this.evidence.freshRounds;
    const conclusive = hopLosses.every((loss) => loss <= MAX_FRESH_ROUND_LOSS);
    return Math.max(0, left - (conclusive ? 1 : 0));
  }

  /** The carried flows' source ports, in flow order: the round's first flows. */
  get ports(): number[] {
    return this.evidence.flows.map((flow) => flow.port);
  }

  /** What each carried flow met, per TTL from the first hop (null: nothing carried there). */
  get knownPaths(): Array<Array<string | null>> {
    return this.evidence.flows.map((flow) => flow.hops.map((hop) => hop?.from ?? null));
  }

  /** Carried flows (flows 0 … flows − 1 of the round). */
  get flows(): number {
    return this.evidence.flows.length;
  }

  /** The ports the round's flows got: a flow whose port differs now is another flow, its answers not its own. */
  bind(ports: readonly number[]): void {
    this.usable = this.evidence.flows.map((flow, i) => ports[i] === flow.port);
  }

  /** The re-check probes of the round, none while carried answers do not count; up to `maxHops`. */
  recheckProbes(maxHops: number): ProbeOrder[] {
    if (!this.counting) return [];
    const { flows, firstHop } = this.evidence;
    const groups = new Map<string, Array<{ flow: number; ttl: number; seen: number }>>();
    for (const [flow, { hops }] of flows.entries()) {
      if (!this.usable[flow]) continue;
      for (const [i, answer] of hops.entries()) {
        if (answer === null || firstHop + i > maxHops) continue;
        const key = `${firstHop + i} ${hops[i - 1]?.from ?? '?'}>${answer.from}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = []));
        group.push({ flow, ttl: firstHop + i, seen: answer.seen });
      }
    }
    this.rechecks = [];
    const leftByTtl = new Map<number, Array<{ flow: number; ttl: number; seen: number }>>();
    for (const group of groups.values()) {
      group.sort((a, b) => a.seen - b.seen || a.flow - b.flow);
      const expiring = group.filter(({ seen }) => this.round - seen >= this.maxAge).length;
      const count = Math.max(1, Math.ceil(group.length / this.maxAge), expiring);
      for (const { flow, ttl } of group.slice(0, count)) this.rechecks.push({ flow, ttl });
      // The first also at the TTL before: this round's own answers then show the link (what the
      // path watch learns links from), not only the carried ones.
      const { flow, ttl } = group[0]!;
      if (ttl > firstHop) this.rechecks.push({ flow, ttl: ttl - 1 });
      leftByTtl.set(ttl, [...(leftByTtl.get(ttl) ?? []), ...group.slice(count)]);
    }
    for (const [ttl, left] of leftByTtl) {
      const missing = MIN_RECHECKS_PER_TTL - this.rechecks.filter((probe) => probe.ttl === ttl).length;
      left.sort((a, b) => a.seen - b.seen || a.flow - b.flow);
      for (const { flow } of left.slice(0, Math.max(0, missing))) this.rechecks.push({ flow, ttl });
    }
    const distinct = new Map(this.rechecks.map((probe) => [`${probe.flow} ${probe.ttl}`, probe]));
    this.rechecks = [...distinct.values()];
    return this.rechecks;
  }

  /**
   * Reads the re-checks' answers in `records`: a flow gone elsewhere is a change; otherwise (and with
   * none the last rounds) the carried answers still young enough go into `records`, where this round
   * has no answer of its own.
   */
  settle(records: AnswerRecords): void {
    const { flows, firstHop } = this.evidence;
    for (const { flow, ttl } of this.rechecks) {
      const fresh = records.freshAt(flow, ttl);
      const carried = flows[flow]!.hops[ttl - firstHop];
      if (carried && fresh?.from && movedFrom(carried, fresh)) this.changeSeen = true;
    }
    if (!this.counting) return;
    for (const [flow, { hops }] of flows.entries()) {
      if (!this.usable[flow] || flow >= records.flows) continue;
      for (const [i, answer] of hops.entries())
        if (answer !== null && this.round - answer.seen < this.maxAge)
          records.carry(flow, firstHop + i, answer, answer.seen);
    }
  }
}

/**
 * Whether a flow's answer now says it goes elsewhere than it went: it met another responder, or it
 * ends where it went on (or the reverse). The destination (or an unreachable) answering from another
 * of its addresses is no change of the path: hosts pick the source of their errors by route.
 */
function movedFrom(carried: FlowAnswer, fresh: FlowAnswer): boolean {
  if (carried.ends !== fresh.ends) return true;
  return !carried.ends && carried.from !== fresh.from;
}
