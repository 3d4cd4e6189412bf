// IPv6 fixed header (RFC 8200 §3). Extension headers are not parsed: `nextHeader` names
// whatever follows the fixed 40 bytes, which may be an extension header rather than the
// upper-layer protocol. Jumbograms (payloadLength 0 plus a Jumbo Payload option) are not
// supported either: payloadLength is taken as it is.
import { ipv6FromBytes, writeIpv6Address } from './address';
import type { DecodeOptions, PacketCodec } from './codec';
import { PacketDecodeError, truncatedError } from './errors';
import { checkField, checkRoom, decodedLength } from './validate';

export const IPV6_HEADER_LENGTH = 40;

export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  source: string;
  destination: string;
}

/** What the encoder needs; defaults in brackets. A decoded Ipv6Header is also valid here. */
export interface Ipv6HeaderInit {
  /** [0] */
  trafficClass?: number;
  /** [0] */
  flowLabel?: number;
  payloadLength: number;
  nextHeader: number;
  /** [64] */
  hopLimit?: number;
  source: string;
  destination: string;
}

// Both addresses are parsed here first, so that a bad destination leaves `buf` untouched.
const addressScratch = Buffer.alloc(32);

function encodingLength(): number {
  return IPV6_HEADER_LENGTH;
}

function encode(h: Ipv6HeaderInit, buf?: Buffer, offset = 0): Buffer {
  const trafficClass = h.trafficClass ?? 0;
  const flowLabel = h.flowLabel ?? 0;
  const hopLimit = h.hopLimit ?? 64;
  checkField(trafficClass, 0xff, 'ipv6', 'trafficClass');
  checkField(flowLabel, 0xfffff, 'ipv6', 'flowLabel');
  checkField(h.payloadLength, 0xffff, 'ipv6', 'payloadLength');
  checkField(h.nextHeader, 0xff, 'ipv6', 'nextHeader');
  checkField(hopLimit, 0xff, 'ipv6', 'hopLimit');
  writeIpv6Address(h.source, addressScratch, 0, 'ipv6', 'source');
  writeIpv6Address(h.destination, addressScratch, 16, 'ipv6', 'destination');
  if (buf === undefined) buf = Buffer.alloc(offset + IPV6_HEADER_LENGTH);
  checkRoom(buf, offset, IPV6_HEADER_LENGTH, 'ipv6', 'header');

  // trafficClass << 20 can reach bit 31, so multiply instead of shifting into the sign bit.
  buf.writeUInt32BE(0x60000000 + trafficClass * 0x100000 + flowLabel, offset);
  buf.writeUInt16BE(h.payloadLength, offset + 4);
  buf[offset + 6] = h.nextHeader;
  buf[offset + 7] = hopLimit;
  addressScratch.copy(buf, offset + 8);
  return buf;
}

export interface Ipv6DecodeOptions extends DecodeOptions {
  /** [false] Whether payloadLength may exceed the bytes available (a header quoted in an ICMPv6 error). */
  allowTruncatedPayload?: boolean;
}

function decode(buf: Buffer, offset = 0, options?: Ipv6DecodeOptions): Ipv6Header {
  const available = decodedLength(buf, offset, options?.length, 'ipv6', 'packet');
  if (available < IPV6_HEADER_LENGTH) {
    throw truncatedError('ipv6', 'header', IPV6_HEADER_LENGTH, offset, available);
  }
  const first = buf.readUInt32BE(offset);
  const version = first >>> 28;
  if (version !== 6) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_VERSION',
      'ipv6',
      offset,
      `ipv6: version at offset ${offset} is ${version}, expected 6`,
    );
  }
  const payloadLength = buf.readUInt16BE(offset + 4);
  if (payloadLength > available - IPV6_HEADER_LENGTH && options?.allowTruncatedPayload !== true) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_LENGTH',
      'ipv6',
      offset + 4,
      `ipv6: payload length ${payloadLength} at offset ${offset + 4} exceeds the ${available - IPV6_HEADER_LENGTH} bytes after the header`,
    );
  }
  return {
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    payloadLength,
    nextHeader: buf[offset + 6]!,
    hopLimit: buf[offset + 7]!,
    source: ipv6FromBytes(buf, offset + 8),
    destination: ipv6FromBytes(buf, offset + 24),
  };
}

/**
 * The IPv6 fixed header (the codec shape is in codec.ts): `payloadLength` covers what follows,
 * which the caller writes after the header.
 */
export const ipv6Header: PacketCodec<Ipv6HeaderInit, Ipv6Header, Ipv6DecodeOptions> = {
  encode,
  encodingLength,
  decode,
};
