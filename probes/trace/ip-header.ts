import {
  encodeIpv4Header,
  encodeIpv6Header,
  IPV4_HEADER_LENGTH,
  IPV6_HEADER_LENGTH,
  type IpFamily,
} from '../packet';

/**
 * Prepends an IP header carrying `source` and `ttl` to a transport packet: what a header-included
 * raw socket (a bound source address) sends; the TTL then lives in this header.
 */
export function withIpHeader(
  family: IpFamily,
  protocol: number,
  source: string,
  destination: string,
  ttl: number,
  transport: Buffer,
): Buffer {
  if (family === 4) {
    const packet = Buffer.alloc(IPV4_HEADER_LENGTH + transport.length);
    encodeIpv4Header({ totalLength: packet.length, protocol, ttl, source, destination }, packet, 0);
    transport.copy(packet, IPV4_HEADER_LENGTH);
    return packet;
  }
  const packet = Buffer.alloc(IPV6_HEADER_LENGTH + transport.length);
  encodeIpv6Header(
    { payloadLength: transport.length, nextHeader: protocol, hopLimit: ttl, source, destination },
    packet,
    0,
  );
  transport.copy(packet, IPV6_HEADER_LENGTH);
  return packet;
}
