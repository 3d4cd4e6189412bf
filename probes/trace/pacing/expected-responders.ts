import type { PathView } from './path-view';

/**
 * The budgets a probe of `flow` at `ttl` draws on: the routers its answer is expected from, by the
 * key of their budget (routerKey). In order of preference:
 * 1. the responder this flow met there (this round, or the earlier round's same flow);
 * 2. the next hops known after the responder this flow met at ttl − 1 (one of them answers);
 * 3. every responder known at `ttl`;
 * 4. none known (a first round's new hop): `unknown(before)`, a budget standing for the routers
 *    behind `before` (the router this flow met at ttl − 1, or null), shared by every trace through it.
 * With k candidates the probe costs 1/k of a token at each: its expected share, as the load balancer
 * spreads flows evenly.
 */
export function expectedResponders(
  view: PathView,
  flow: number,
  ttl: number,
  unknown: (before: string | null) => string,
): string[] {
  const keys = routerKeys(view);
  const key = (address: string): string => keys.get(address) ?? address;
  const met = view.at(flow, ttl);
  if (met !== null) return [key(met)];
  const before = ttl > view.firstHop ? view.at(flow, ttl - 1) : null;
  const candidates = new Set<string>();
  for (let other = 0; other < view.flows; other++) {
    const there = view.at(other, ttl);
    if (there === null) continue;
    if (before === null || view.at(other, ttl - 1) === before) candidates.add(key(there));
  }
  if (candidates.size === 0 && before !== null)
    for (let other = 0; other < view.flows; other++) {
      const there = view.at(other, ttl);
      if (there !== null) candidates.add(key(there));
    }
  return candidates.size > 0 ? [...candidates].sort() : [unknown(before === null ? null : key(before))];
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
