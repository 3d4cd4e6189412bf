import { isIP } from 'node:net';
import { probesInFlight, type SocketRegistry } from '../../probes';
import type { Config, TargetConfig } from '../config';
import { ExporterError } from '../errors';

/** ICMP echo identifiers per address family: 16 bits, shared by every probe of the process (IdentifierPool). */
export const ICMP_IDENTIFIERS_PER_FAMILY = 0x10000;

/**
 * Echo requests in flight per identifier the Pinger holds before it takes another: half of the
 * 65,536 sequences (probes/ping/echo-identifiers.ts says why).
 */
const REQUESTS_PER_IDENTIFIER = 0x10000 / 2;

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
 * ICMP identifiers one target needs per address and family: its ping's share of the identifiers the
 * Pinger sends every target's requests under (⌈timeout / interval⌉ requests in flight, of
 * REQUESTS_PER_IDENTIFIER per identifier: a fraction), plus one per flow of an ICMP trace while it
 * runs (each run allocates its flows whole; every trace may run at once).
 */
export function identifiersOf(target: TargetConfig): number {
  return pingShareOf(target) + traceFlowsOf(target);
}

function pingShareOf(target: TargetConfig): number {
  const ping = target.ping;
  return ping ? probesInFlight(ping.timeout, ping.interval) / REQUESTS_PER_IDENTIFIER : 0;
}

/** Fixed flows, or the most the MDA may use (it adds flows during a round, up to maxFlows). */
function traceFlowsOf(target: TargetConfig): number {
  const trace = target.trace;
  return trace?.protocol === 'icmp' ? (trace.flows ?? trace.maxFlows) : 0;
}

/**
 * Refuses a config that needs more ICMP identifiers than `available` per family, with a
 * ExporterError ERR_CAPACITY naming the family, both figures and the first target over the limit.
 * Run before anything of the config starts: a generation is applied whole or not at all.
 *
 * Needed per family: the ping shares of all targets together, rounded up (the identifiers the
 * Pinger will hold), plus the ICMP trace flows. `available` may be fractional (what the running
 * targets give back counts their ping shares); the identifiers really free are then its ceiling:
 * the running Pinger holds its shares rounded up, and keeps them for the new config.
 */
export function checkIdentifierCapacity(config: Config, available: IdentifierCounts): void {
  const share: IdentifierCounts = { 4: 0, 6: 0 };
  const flows: IdentifierCounts = { 4: 0, 6: 0 };
  const needed = (family: Family): number => Math.ceil(share[family] - 1e-9) + flows[family];
  const capacity = (family: Family): number => Math.ceil(available[family] - 1e-9);
  const firstOver: Partial<Record<Family, number>> = {};
  for (const [index, target] of config.targets.entries()) {
    const pingShare = pingShareOf(target);
    const traceFlows = traceFlowsOf(target);
    if (pingShare === 0 && traceFlows === 0) continue;
    for (const family of familiesOf(target)) {
      share[family] += pingShare;
      flows[family] += traceFlows;
      if (needed(family) > capacity(family)) firstOver[family] ??= index;
    }
  }
  for (const family of [4, 6] as const) {
    const index = firstOver[family];
    if (index === undefined) continue;
    const target = config.targets[index]!;
    throw new ExporterError(
      'ERR_CAPACITY',
      `${config.file}: targets[${index}] (${JSON.stringify(target.name)}): the config needs ` +
        `${needed(family)} ICMP identifiers for IPv${family} (ping: one per ${REQUESTS_PER_IDENTIFIER} ` +
        `requests in flight, a target and address having ⌈timeout / interval⌉; one per ICMP trace flow), ` +
        `more than the ${capacity(family)} available of ${ICMP_IDENTIFIERS_PER_FAMILY}: ` +
        `ping or trace fewer targets, lengthen ping intervals, or trace with fewer flows or over UDP/TCP`,
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
