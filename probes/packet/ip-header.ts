// The IP header a header-included raw socket sends (IP_HDRINCL, IPV6_HDRINCL): the one builder
// behind every probe that carries its own source address, whatever its protocol.
import type { IpFamily } from './address';
import type { DecodeOptions, PacketCodec } from './codec';
import { PacketDecodeError, truncatedError } from './errors';
import { IPV4_HEADER_LENGTH, ipv4Header } from './ipv4';
import { IPV6_HEADER_LENGTH, ipv6Header } from './ipv6';
import type { IpProtocolNumber } from './protocol';
import { decodedLength } from './validate';

/**
 * The fields a probe sets; the rest are written as zero (IPv4 identification, which Linux fills
 * in when it is zero; IPv6 traffic class and flow label) or computed (lengths, IPv4 checksum).
 */
export interface IpHeaderFields {
  family: IpFamily;
  /** IPv4 protocol, IPv6 next header: what follows the header. */
  protocol: IpProtocolNumber;
  /** IPv4 TTL, IPv6 hop limit. */
  hopLimit: number;
  source: string;
  destination: string;
  /** Bytes after the header. */
  payloadLength: number;
  /** [false] IPv4's DF bit. IPv6 has none (its routers never fragment): never set on decoding it. */
  dontFragment?: boolean;
}

/** A decoded IP header: also how many bytes it takes. */
export interface IpHeader extends Omit<IpHeaderFields, 'protocol'> {
  /** Any protocol number, not only the ones this library sends. */
  protocol: number;
  headerLength: number;
}

export interface IpHeaderDecodeOptions extends DecodeOptions {
  /** [false] Whether the payload may extend beyond the bytes given (a header quoted in an ICMP error). */
  allowTruncatedPayload?: boolean;
}

function encodingLength(fields: IpHeaderFields): number {
  return fields.family === 4 ? IPV4_HEADER_LENGTH : IPV6_HEADER_LENGTH;
}

function encode(fields: IpHeaderFields, buf?: Buffer, offset = 0): Buffer {
  const { protocol, hopLimit, source, destination, payloadLength } = fields;
  if (fields.family === 4) {
    return ipv4Header.encode(
      {
        totalLength: IPV4_HEADER_LENGTH + payloadLength,
        protocol,
        ttl: hopLimit,
        dontFragment: fields.dontFragment === true,
        source,
        destination,
      },
      buf,
      offset,
    );
  }
  return ipv6Header.encode(
    { payloadLength, nextHeader: protocol, hopLimit, source, destination },
    buf,
    offset,
  );
}

/** Reads either family, told apart by the version nibble (an IPv4 checksum is verified). */
function decode(buf: Buffer, offset = 0, options?: IpHeaderDecodeOptions): IpHeader {
  const available = decodedLength(buf, offset, options?.length, 'ipv4', 'packet');
  if (available < 1) throw truncatedError('ipv4', 'header', IPV4_HEADER_LENGTH, offset, available);
  const version = buf[offset]! >> 4;
  if (version === 4) {
    const ip = ipv4Header.decode(buf, offset, { ...options, length: available });
    return {
      family: 4,
      protocol: ip.protocol,
      hopLimit: ip.ttl,
      source: ip.source,
      destination: ip.destination,
      payloadLength: ip.totalLength - ip.headerLength,
      dontFragment: ip.dontFragment,
      headerLength: ip.headerLength,
    };
  }
  if (version === 6) {
    const ip = ipv6Header.decode(buf, offset, { ...options, length: available });
    return {
      family: 6,
      protocol: ip.nextHeader,
      hopLimit: ip.hopLimit,
      source: ip.source,
      destination: ip.destination,
      payloadLength: ip.payloadLength,
      headerLength: IPV6_HEADER_LENGTH,
    };
  }
  throw new PacketDecodeError(
    'ERR_PACKET_BAD_VERSION',
    'ipv4',
    offset,
    `ipv4: version at offset ${offset} is ${version}, expected 4 or 6`,
  );
}

/** An IPv4 (with its checksum) or IPv6 header (the codec shape is in codec.ts). */
export const ipHeader: PacketCodec<IpHeaderFields, IpHeader, IpHeaderDecodeOptions> = {
  encode,
  encodingLength,
  decode,
};

/**
 * `payload` (a transport packet, already encoded) behind the IP header of `header`, in a new
 * Buffer: for a packet encoded before anyone knew whether the socket would want an IP header.
 */
export function withIpHeader(header: Omit<IpHeaderFields, 'payloadLength'>, payload: Buffer): Buffer {
  const fields = { ...header, payloadLength: payload.length };
  const headerLength = encodingLength(fields);
  const packet = Buffer.allocUnsafe(headerLength + payload.length);
  encode(fields, packet, 0);
  payload.copy(packet, headerLength);
  return packet;
}
