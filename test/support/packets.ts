import {
  encodeIcmpEcho,
  encodeIcmpError,
  encodeIcmpv6Echo,
  encodeIcmpv6Error,
  encodeIpv4Header,
  encodeIpv6Header,
  IcmpType,
  Icmpv6Type,
} from '../../probes/packet';

/** Test fixtures: whole packets as a raw socket would read them. */

export function ipv4Packet(
  source: string,
  destination: string,
  protocol: number,
  body: Buffer,
  ttl = 64,
): Buffer {
  const packet = Buffer.alloc(20 + body.length);
  encodeIpv4Header({ totalLength: packet.length, protocol, source, destination, ttl }, packet, 0);
  body.copy(packet, 20);
  return packet;
}

export function ipv6Packet(source: string, destination: string, nextHeader: number, body: Buffer): Buffer {
  const packet = Buffer.alloc(40 + body.length);
  encodeIpv6Header({ payloadLength: body.length, nextHeader, source, destination }, packet, 0);
  body.copy(packet, 40);
  return packet;
}

export function icmpEcho(type: number, identifier: number, sequence: number, payload: Buffer): Buffer {
  const message = Buffer.alloc(8 + payload.length);
  encodeIcmpEcho({ type, identifier, sequence, payload }, message, 0);
  return message;
}

export function icmpv6Echo(
  type: number,
  identifier: number,
  sequence: number,
  payload: Buffer,
  source: string,
  destination: string,
): Buffer {
  const message = Buffer.alloc(8 + payload.length);
  encodeIcmpv6Echo({ type, identifier, sequence, payload }, message, 0, { source, destination });
  return message;
}

/** An IPv4 echo reply from `from` to `to`, as read from a raw IPv4 socket (IP header included). */
export function echoReplyV4(
  from: string,
  to: string,
  identifier: number,
  sequence: number,
  payload: Buffer,
): Buffer {
  return ipv4Packet(from, to, 1, icmpEcho(IcmpType.EchoReply, identifier, sequence, payload));
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
  const message = Buffer.alloc(8 + quoted.length);
  encodeIcmpError({ type, code, quoted }, message, 0);
  return ipv4Packet(router, to, 1, message);
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
  const message = Buffer.alloc(8 + quoted.length);
  encodeIcmpv6Error({ type, code, quoted }, message, 0, { source: router, destination: to });
  return message;
}

export { IcmpType, Icmpv6Type };
