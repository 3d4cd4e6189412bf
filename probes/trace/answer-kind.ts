import { canonicalAddress, IcmpType, Icmpv6Type, type IpFamily } from '../packet';
import type { AnswerKind } from './trace-result';

/** What an ICMP error quoting a probe says of the path: a hop on it, its end, or a dead end. */
export function kindOfIcmpError(
  family: IpFamily,
  type: number,
  from: string,
  destination: string,
): AnswerKind {
  const timeExceeded = family === 4 ? IcmpType.TimeExceeded : Icmpv6Type.TimeExceeded;
  if (type === timeExceeded) return 'hop';
  return from === destination ? 'destination' : 'unreachable';
}

/** The canonical form of a responder's address as the socket reported it. */
export function responderAddress(from: string): string {
  try {
    return canonicalAddress(from);
  } catch {
    return from;
  }
}
