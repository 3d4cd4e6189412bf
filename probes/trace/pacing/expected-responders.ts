import type { PathView } from './path-view';

/**
 * The budgets a probe of `flow` at `ttl` draws on: the routers its answer is expected from, by the
 * key of their budget (routerKeys), each with its share of the probe. In order of preference:
 * 1. the responder this flow met there (this round, or the earlier round's same flow): all of it;
 * 2. the next hops known after the responder this flow met at ttl − 1;
 * 3. every responder known at `ttl`: by their shares of the known flows at the first hop or behind
 *    the one router known at ttl − 1 (every flow came that way), else each a whole token;
 * 4. none known (a first round's new hop): `unknown(before)`, the shares of what stands for the routers
 *    behind `before` (the router this flow met at ttl − 1, or null), shared by every trace through it
 *    (a key of its own, or the routers other traces saw there: see ResponderBudget.learn).
 * In 2 each router's share is that of the known flows it answered there (a load balancer hashes flows
 * evenly over its next hops). In 3, behind several routers, each is charged a whole token: the flow may reach any of
 * them, and a share charged (the known flows are an earlier round's witnesses, one per responder and
 * link, which over-represent rare branches) puts the router it does reach over its rate whenever its
 * bucket is drained: measured on the MDA lab's hop 3, a third of such probes went unanswered (a
 * tenth of the others), and about half as many were lost at hop 3 once charged whole
 * (bench/results.md, "Trace pacing, e2e runs").
 */
export function expectedResponders(
  view: PathView,
  flow: number,
  ttl: number,
  unknown: (before: string | null) => string | ReadonlyMap<string, number>,
  /** routerKeys(view), when the caller has it already. */
  keys: ReadonlyMap<string, string> = routerKeys(view),
): Map<string, number> {
  const key = (address: string): string => keys.get(address) ?? address;
  const met = view.at(flow, ttl);
  if (met !== null) return new Map([[key(met), 1]]);
  const before = ttl > view.firstHop ? view.at(flow, ttl - 1) : null;
  // At the first hop, or behind the one router known at ttl − 1, every flow came the same way: the
  // known flows' shares hold for any flow (the MDA sends new flows straight to a hop after a single router).
  const oneWay = ttl === view.firstHop || onlyRouterAt(view, ttl - 1) !== null;
  const count = (through: string | null): Map<string, number> => {
    const counts = new Map<string, number>();
    for (let other = 0; other < view.flows; other++) {
      const there = view.at(other, ttl);
      if (there === null || (through !== null && view.at(other, ttl - 1) !== through)) continue;
      counts.set(key(there), (counts.get(key(there)) ?? 0) + 1);
    }
    return counts;
  };
  let counts = before === null || oneWay ? new Map<string, number>() : count(before);
  if (counts.size > 0) return sharesOf(counts);
  counts = count(null);
  if (counts.size > 0)
    return oneWay ? sharesOf(counts) : new Map([...counts.keys()].sort().map((router) => [router, 1]));
  const shares = unknown(before === null ? null : key(before));
  return typeof shares === 'string' ? new Map([[shares, 1]]) : new Map(shares);
}

/** The one address known at `ttl` (every flow that answered there met it), or null. */
function onlyRouterAt(view: PathView, ttl: number): string | null {
  let only: string | null = null;
  for (let flow = 0; flow < view.flows; flow++) {
    const there = view.at(flow, ttl);
    if (there === null) continue;
    if (only !== null && there !== only) return null;
    only = there;
  }
  return only;
}

/** Each router's share of the known flows it answered. */
function sharesOf(counts: ReadonlyMap<string, number>): Map<string, number> {
  let total = 0;
  for (const n of counts.values()) total += n;
  return new Map([...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => [k, n / total]));
}

/**
 * Addresses taken for one router's: Linux (and many routers) answer from the interface a probe came
 * in on, so one router shows one address per link into it, all under one rate limit. Addresses of
 * one hop that every flow seen through them leaves to the same one next address are taken for one
 * router (a join: r4 reached from three routers shows three addresses, each followed by the
 * destination). Each maps to the least of its group. Wrong only on the safe side: two routers
 * merged share one budget, and are probed slower than they could be.
 */
export function routerKeys(view: PathView): Map<string, string> {
  const keys = new Map<string, string>();
  for (let ttl = view.firstHop; ttl < view.lastHop; ttl++) {
    const next = new Map<string, Set<string>>();
    for (let flow = 0; flow < view.flows; flow++) {
      const here = view.at(flow, ttl);
      const there = view.at(flow, ttl + 1);
      if (here === null || there === null) continue;
      let set = next.get(here);
      if (!set) next.set(here, (set = new Set()));
      set.add(there);
    }
    const groups = new Map<string, string[]>();
    for (const [address, onward] of next) {
      if (onward.size !== 1) continue;
      const [only] = onward;
      let group = groups.get(only!);
      if (!group) groups.set(only!, (group = []));
      group.push(address);
    }
    for (const group of groups.values()) {
      const least = group.reduce((a, b) => (b < a ? b : a));
      for (const address of group) keys.set(address, least);
    }
  }
  return keys;
}
