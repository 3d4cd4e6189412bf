import {
  icmp,
  icmpv6,
  IcmpType,
  Icmpv6Type,
  IpProtocol,
  withIpHeader,
  type IpProtocolNumber,
} from '../../probes/packet';

/** Test fixtures: whole packets as a raw socket would read them. */

export function ipv4Packet(
  source: string,
  destination: string,
  protocol: IpProtocolNumber,
  body: Buffer,
  ttl = 64,
): Buffer {
  return withIpHeader({ family: 4, protocol, hopLimit: ttl, source, destination }, body);
}

export function ipv6Packet(
  source: string,
  destination: string,
  nextHeader: IpProtocolNumber,
  body: Buffer,
): Buffer {
  return withIpHeader({ family: 6, protocol: nextHeader, hopLimit: 64, source, destination }, body);
}

export function icmpEcho(type: number, identifier: number, sequence: number, payload: Buffer): Buffer {
  return icmp.encode({ type, identifier, sequence, payload });
}

export function icmpv6Echo(
  type: number,
  identifier: number,
  sequence: number,
  payload: Buffer,
  source: string,
  destination: string,
): Buffer {
  return icmpv6.encode({ type, identifier, sequence, payload, pseudo: { source, destination } });
}

/** An IPv4 echo reply from `from` to `to`, as read from a raw IPv4 socket (IP header included). */
export function echoReplyV4(
  from: string,
  to: string,
  identifier: number,
  sequence: number,
  payload: Buffer,
): Buffer {
  return ipv4Packet(from, to, IpProtocol.Icmp, icmpEcho(IcmpType.EchoReply, identifier, sequence, payload));
}

/**
 * An ICMPv4 error from `router` quoting the start of `original` (an IPv4 packet): by default its IP
 * header and 8 bytes (the RFC 792 minimum); Linux quotes up to 576 bytes of error in all (RFC 1812).
 */
export function icmpErrorV4(
  router: string,
  to: string,
  type: number,
  code: number,
  original: Buffer,
  quotedBytes = 28,
): Buffer {
  const quoted = original.subarray(0, Math.min(original.length, quotedBytes));
  return ipv4Packet(router, to, IpProtocol.Icmp, icmp.encode({ type, code, quoted }));
}

/** An ICMPv6 error message (no IPv6 header: raw IPv6 sockets do not see it), quoting as Linux does by default. */
export function icmpErrorV6(
  router: string,
  to: string,
  type: number,
  code: number,
  original: Buffer,
  quotedBytes = 1232,
): Buffer {
  const quoted = original.subarray(0, Math.min(original.length, quotedBytes));
  return icmpv6.encode({ type, code, quoted, pseudo: { source: router, destination: to } });
}

export { IcmpType, Icmpv6Type };
