import { isIP } from 'node:net';
import type { SocketRegistry } from '../../probes';
import type { Config, TargetConfig } from '../config';
import { ExporterError } from '../errors';

/** ICMP echo identifiers per address family: 16 bits, shared by every probe of the process (IdentifierPool). */
export const ICMP_IDENTIFIERS_PER_FAMILY = 0x10000;

type Family = 4 | 6;

/** ICMP identifiers per family. */
export type IdentifierCounts = Record<Family, number>;

/**
 * The families a target may probe. An address literal has one; a name has the one its `family`
 * asks for, or, for `auto` (either family, whichever resolves), both: counting it in both keeps the
 * check true whatever DNS answers later.
 */
function familiesOf(target: TargetConfig): Family[] {
  const literal = isIP(target.host);
  if (literal === 4 || literal === 6) return [literal];
  if (target.family === 'ipv4') return [4];
  if (target.family === 'ipv6') return [6];
  return [4, 6];
}

/**
 * ICMP identifiers one target holds at most, per family: one per ping session (one session per
 * address, and a target has at most one address per family), and one per flow of an ICMP trace
 * while it runs (each run allocates its flows; every trace may run at once).
 */
export function identifiersOf(target: TargetConfig): number {
  return (target.ping ? 1 : 0) + (target.trace?.protocol === 'icmp' ? target.trace.flows : 0);
}

/**
 * Refuses a config that needs more ICMP identifiers than `available` per family, with a
 * ExporterError ERR_CAPACITY naming the family, both figures and the first target over the limit.
 * Run before anything of the config starts: a generation is applied whole or not at all.
 */
export function checkIdentifierCapacity(config: Config, available: IdentifierCounts): void {
  const needed: IdentifierCounts = { 4: 0, 6: 0 };
  const firstOver: Partial<Record<Family, number>> = {};
  for (const [index, target] of config.targets.entries()) {
    const count = identifiersOf(target);
    if (count === 0) continue;
    for (const family of familiesOf(target)) {
      needed[family] += count;
      if (needed[family] > available[family]) firstOver[family] ??= index;
    }
  }
  for (const family of [4, 6] as const) {
    const index = firstOver[family];
    if (index === undefined) continue;
    const target = config.targets[index]!;
    throw new ExporterError(
      'ERR_CAPACITY',
      `${config.file}: targets[${index}] (${JSON.stringify(target.name)}): the config needs ` +
        `${needed[family]} ICMP identifiers for IPv${family} (one per ping target and address, one per ` +
        `ICMP trace flow), more than the ${available[family]} available of ${ICMP_IDENTIFIERS_PER_FAMILY}: ` +
        `ping or trace fewer targets, or trace with fewer flows or over UDP/TCP`,
    );
  }
}

/** Identifiers free in `sockets` now, plus those the running generation holds and will give back. */
export function availableIdentifiers(sockets: SocketRegistry, released: IdentifierCounts): IdentifierCounts {
  return {
    4: ICMP_IDENTIFIERS_PER_FAMILY - sockets.identifiers[4].size + released[4],
    6: ICMP_IDENTIFIERS_PER_FAMILY - sockets.identifiers[6].size + released[6],
  };
}
