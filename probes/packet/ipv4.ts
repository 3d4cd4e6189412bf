// IPv4 header (RFC 791).
import { ipv4AddressValue, ipv4FromBytes } from './address';
import { internetChecksum } from './checksum';
import type { DecodeOptions, PacketCodec } from './codec';
import { PacketDecodeError, PacketEncodeError, truncatedError } from './errors';
import { checkField, checkRoom, decodedLength } from './validate';

export const IPV4_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;

const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;
const EMPTY = Buffer.alloc(0);

export interface Ipv4Header {
  tos: number;
  totalLength: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In 8-byte units. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  source: string;
  destination: string;
  /** Bytes, 20..60. */
  headerLength: number;
  /** View into the decoded buffer; empty when there are none. */
  options: Buffer;
}

/**
 * What the encoder needs; defaults in brackets. A decoded Ipv4Header is also a valid
 * Ipv4HeaderInit (its checksum and headerLength are recomputed). The reserved flag bit is
 * always written as zero.
 */
export interface Ipv4HeaderInit {
  /** [0] */
  tos?: number;
  totalLength: number;
  /** [0] */
  identification?: number;
  /** [false] */
  dontFragment?: boolean;
  /** [false] */
  moreFragments?: boolean;
  /** In 8-byte units. [0] */
  fragmentOffset?: number;
  /** [64] */
  ttl?: number;
  protocol: number;
  source: string;
  destination: string;
  /** [none] A multiple of 4 bytes, at most 40. */
  options?: Buffer;
}

function encodingLength(h: Ipv4HeaderInit): number {
  const options = h.options ?? EMPTY;
  if (options.length % 4 !== 0 || options.length > IPV4_MAX_HEADER_LENGTH - IPV4_HEADER_LENGTH) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      'ipv4',
      `ipv4: options must be a multiple of 4 bytes and at most 40, got ${options.length}`,
    );
  }
  return IPV4_HEADER_LENGTH + options.length;
}

function encode(h: Ipv4HeaderInit, buf?: Buffer, offset = 0): Buffer {
  const options = h.options ?? EMPTY;
  const headerLength = encodingLength(h);
  const tos = h.tos ?? 0;
  const identification = h.identification ?? 0;
  const fragmentOffset = h.fragmentOffset ?? 0;
  const ttl = h.ttl ?? 64;
  checkField(tos, 0xff, 'ipv4', 'tos');
  checkField(h.totalLength, 0xffff, 'ipv4', 'totalLength');
  if (h.totalLength < headerLength) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      'ipv4',
      `ipv4: totalLength ${h.totalLength} is less than the header length ${headerLength}`,
    );
  }
  checkField(identification, 0xffff, 'ipv4', 'identification');
  checkField(fragmentOffset, FRAGMENT_OFFSET_MASK, 'ipv4', 'fragmentOffset');
  checkField(ttl, 0xff, 'ipv4', 'ttl');
  checkField(h.protocol, 0xff, 'ipv4', 'protocol');
  const source = ipv4AddressValue(h.source, 'ipv4', 'source');
  const destination = ipv4AddressValue(h.destination, 'ipv4', 'destination');
  if (buf === undefined) buf = Buffer.alloc(offset + headerLength);
  checkRoom(buf, offset, headerLength, 'ipv4', 'header');

  let flags = fragmentOffset;
  if (h.dontFragment === true) flags |= FLAG_DONT_FRAGMENT;
  if (h.moreFragments === true) flags |= FLAG_MORE_FRAGMENTS;
  buf[offset] = 0x40 | (headerLength >> 2);
  buf[offset + 1] = tos;
  buf.writeUInt16BE(h.totalLength, offset + 2);
  buf.writeUInt16BE(identification, offset + 4);
  buf.writeUInt16BE(flags, offset + 6);
  buf[offset + 8] = ttl;
  buf[offset + 9] = h.protocol;
  buf.writeUInt16BE(0, offset + 10);
  buf.writeUInt32BE(source, offset + 12);
  buf.writeUInt32BE(destination, offset + 16);
  options.copy(buf, offset + IPV4_HEADER_LENGTH);
  buf.writeUInt16BE(internetChecksum(buf, offset, headerLength), offset + 10);
  return buf;
}

export interface Ipv4DecodeOptions extends DecodeOptions {
  /** [true] */
  verifyChecksum?: boolean;
  /**
   * [false] Whether totalLength may exceed the bytes available, as in the header of the
   * original datagram quoted inside an ICMP error.
   */
  allowTruncatedPayload?: boolean;
}

function decode(buf: Buffer, offset = 0, options?: Ipv4DecodeOptions): Ipv4Header {
  const available = decodedLength(buf, offset, options?.length, 'ipv4', 'packet');
  if (available < IPV4_HEADER_LENGTH) {
    throw truncatedError('ipv4', 'header', IPV4_HEADER_LENGTH, offset, available);
  }
  const versionAndIhl = buf[offset]!;
  if (versionAndIhl >> 4 !== 4) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_VERSION',
      'ipv4',
      offset,
      `ipv4: version at offset ${offset} is ${versionAndIhl >> 4}, expected 4`,
    );
  }
  const headerLength = (versionAndIhl & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH || headerLength > available) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_HEADER_LENGTH',
      'ipv4',
      offset,
      headerLength < IPV4_HEADER_LENGTH
        ? `ipv4: header length at offset ${offset} is ${headerLength} bytes, minimum is 20`
        : `ipv4: header length at offset ${offset} is ${headerLength} bytes, buffer has ${available}`,
    );
  }
  const totalLength = buf.readUInt16BE(offset + 2);
  if (totalLength < headerLength) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_LENGTH',
      'ipv4',
      offset + 2,
      `ipv4: total length ${totalLength} at offset ${offset + 2} is less than the header length ${headerLength}`,
    );
  }
  if (totalLength > available && options?.allowTruncatedPayload !== true) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_LENGTH',
      'ipv4',
      offset + 2,
      `ipv4: total length ${totalLength} at offset ${offset + 2} exceeds the ${available} bytes in the buffer`,
    );
  }
  const checksum = buf.readUInt16BE(offset + 10);
  if (options?.verifyChecksum !== false && internetChecksum(buf, offset, headerLength) !== 0) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_CHECKSUM',
      'ipv4',
      offset + 10,
      `ipv4: header checksum 0x${checksum.toString(16).padStart(4, '0')} at offset ${offset + 10} is wrong`,
    );
  }
  const flags = buf.readUInt16BE(offset + 6);
  return {
    tos: buf[offset + 1]!,
    totalLength,
    identification: buf.readUInt16BE(offset + 4),
    dontFragment: (flags & FLAG_DONT_FRAGMENT) !== 0,
    moreFragments: (flags & FLAG_MORE_FRAGMENTS) !== 0,
    fragmentOffset: flags & FRAGMENT_OFFSET_MASK,
    ttl: buf[offset + 8]!,
    protocol: buf[offset + 9]!,
    checksum,
    source: ipv4FromBytes(buf, offset + 12),
    destination: ipv4FromBytes(buf, offset + 16),
    headerLength,
    options:
      headerLength === IPV4_HEADER_LENGTH
        ? EMPTY
        : buf.subarray(offset + IPV4_HEADER_LENGTH, offset + headerLength),
  };
}

/**
 * The IPv4 header (the codec shape is in codec.ts): `totalLength` covers the payload that follows,
 * which the caller writes after the header.
 */
export const ipv4Header: PacketCodec<Ipv4HeaderInit, Ipv4Header, Ipv4DecodeOptions> = {
  encode,
  encodingLength,
  decode,
};
