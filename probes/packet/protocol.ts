// The numbers on the wire that name a protocol or a message, in one place: every encoder, decoder
// and socket takes them from here rather than writing 1, 6, 17 or 58.
import type { IpFamily } from './address';

/** IANA protocol numbers: the IPv4 protocol field and the IPv6 next-header field. */
export const IpProtocol = {
  Icmp: 1,
  Tcp: 6,
  Udp: 17,
  Icmpv6: 58,
} as const;

export type IpProtocolNumber = (typeof IpProtocol)[keyof typeof IpProtocol];

/** The ICMP of an IP family: what echo requests and every ICMP error travel in. */
export function icmpProtocolOf(family: IpFamily): typeof IpProtocol.Icmp | typeof IpProtocol.Icmpv6 {
  return family === 4 ? IpProtocol.Icmp : IpProtocol.Icmpv6;
}

/** ICMPv4 message types (RFC 792) met by a prober. */
export const IcmpType = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  Redirect: 5,
  EchoRequest: 8,
  TimeExceeded: 11,
  ParameterProblem: 12,
} as const;

/** ICMPv6 message types (RFC 4443) met by a prober. */
export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
} as const;
