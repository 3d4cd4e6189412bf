import { createHash } from 'node:crypto';
import type { AllAddressesConfig, TargetConfig } from '../config';
import type { ResolvedAddress } from './target-resolver';

/**
 * `addresses: all`: every address of the target's family that is not excluded, deduplicated and
 * sorted (DNS servers rotate their answers: the set, not the order, is what changes a probe). Past
 * `max`, the ones after the selection key on the ring (ringSuccessors).
 */
export function selectAll(
  all: ReadonlyArray<{ address: string; family: number }>,
  target: TargetConfig,
  options: AllAddressesConfig,
): ResolvedAddress[] {
  const excluded = new Set(options.exclude);
  const wanted = new Map<string, ResolvedAddress>();
  for (const { address, family } of all) {
    const name = family === 4 ? 'ipv4' : 'ipv6';
    if (target.family === 'ipv4' || target.family === 'ipv6') {
      if (name !== target.family) continue;
    }
    if (!excluded.has(address)) wanted.set(address, { address, family: name });
  }
  const addresses = [...wanted.values()];
  const kept =
    addresses.length <= options.max
      ? addresses
      : ringSuccessors(options.selectionKey ?? target.name, addresses, options.max, (a) => a.address);
  return kept.sort(byFamilyThenAddress);
}

/**
 * The `count` items that follow `key` on a ring where each item sits at the hash of its name (the
 * key's own item, if there is one, excluded). Each exporter keyed by its own address thus picks the
 * next `count` peers after itself, and every address is picked by exactly the `count` exporters
 * before it: spread evenly, unlike an independent choice per exporter (rendezvous hashing), which
 * can leave an address probed by none. A peer that joins or leaves moves only the choices of the
 * `count` exporters before it.
 */
export function ringSuccessors<T>(
  key: string,
  items: readonly T[],
  count: number,
  name: (item: T) => string,
): T[] {
  const start = ringPoint(key);
  const placed = items
    .filter((item) => name(item) !== key)
    .map((item) => ({ item, point: ringPoint(name(item)) }))
    .sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : 0));
  const first = placed.findIndex((entry) => entry.point > start);
  const from = first === -1 ? 0 : first;
  const chosen: T[] = [];
  for (let i = 0; i < Math.min(count, placed.length); i++)
    chosen.push(placed[(from + i) % placed.length]!.item);
  return chosen;
}

function ringPoint(name: string): bigint {
  return createHash('sha256').update(name).digest().readBigUInt64BE(0);
}

function byFamilyThenAddress(a: ResolvedAddress, b: ResolvedAddress): number {
  if (a.family !== b.family) return a.family === 'ipv4' ? -1 : 1;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}
