import {
  encodeIcmpEcho,
  encodeIcmpv6Echo,
  encodeIpv4Header,
  encodeIpv6Header,
  ICMP_HEADER_LENGTH,
  internetChecksum,
  IcmpType,
  Icmpv6Type,
  IPV4_HEADER_LENGTH,
  IPV6_HEADER_LENGTH,
  type IpFamily,
} from '../packet';

export interface EchoRequestSpec {
  family: IpFamily;
  identifier: number;
  sequence: number;
  /** The ICMP payload: token first, then padding. */
  payload: Buffer;
  destination: string;
  /** When set, the packet starts with an IP header carrying this source (IP_HDRINCL). */
  source?: string;
  /** Only used in a header-included packet; otherwise the socket's hop limit applies. */
  hopLimit?: number;
}

/** Builds an echo request, with its IP header when a source address is bound. */
export function encodeEchoRequest(spec: EchoRequestSpec): Buffer {
  const icmpLength = ICMP_HEADER_LENGTH + spec.payload.length;
  if (spec.family === 4 && spec.source === undefined) return encodePlainIcmpEcho(spec, icmpLength);
  const echo = { identifier: spec.identifier, sequence: spec.sequence, payload: spec.payload };
  if (spec.family === 4) {
    const headerLength = spec.source === undefined ? 0 : IPV4_HEADER_LENGTH;
    const packet = Buffer.allocUnsafe(headerLength + icmpLength);
    if (spec.source !== undefined) {
      encodeIpv4Header(
        {
          totalLength: packet.length,
          protocol: 1,
          ttl: spec.hopLimit ?? 64,
          source: spec.source,
          destination: spec.destination,
        },
        packet,
        0,
      );
    }
    encodeIcmpEcho({ type: IcmpType.EchoRequest, ...echo }, packet, headerLength);
    return packet;
  }
  if (spec.source === undefined) {
    // The kernel fills in the checksum of what a raw ICMPv6 socket sends, and only it knows the source.
    const packet = Buffer.allocUnsafe(icmpLength);
    packet[0] = Icmpv6Type.EchoRequest;
    packet[1] = 0;
    packet.writeUInt16BE(0, 2);
    packet.writeUInt16BE(spec.identifier, 4);
    packet.writeUInt16BE(spec.sequence, 6);
    spec.payload.copy(packet, ICMP_HEADER_LENGTH);
    return packet;
  }
  const packet = Buffer.allocUnsafe(IPV6_HEADER_LENGTH + icmpLength);
  encodeIpv6Header(
    {
      payloadLength: icmpLength,
      nextHeader: 58,
      hopLimit: spec.hopLimit ?? 64,
      source: spec.source,
      destination: spec.destination,
    },
    packet,
    0,
  );
  encodeIcmpv6Echo({ type: Icmpv6Type.EchoRequest, ...echo }, packet, IPV6_HEADER_LENGTH, {
    source: spec.source,
    destination: spec.destination,
  });
  return packet;
}

/**
 * The request of nearly every probe, an ICMP echo without IP header, written field by field: the
 * general encoder's validation and option objects cost more than the packet here, and this
 * encoder's inputs are the session's own (identifier and sequence are 16-bit by construction).
 */
function encodePlainIcmpEcho(spec: EchoRequestSpec, icmpLength: number): Buffer {
  const packet = Buffer.allocUnsafe(icmpLength);
  packet[0] = IcmpType.EchoRequest;
  packet[1] = 0;
  packet.writeUInt16BE(0, 2);
  packet.writeUInt16BE(spec.identifier & 0xffff, 4);
  packet.writeUInt16BE(spec.sequence & 0xffff, 6);
  spec.payload.copy(packet, ICMP_HEADER_LENGTH);
  packet.writeUInt16BE(internetChecksum(packet, 0, icmpLength), 2);
  return packet;
}
