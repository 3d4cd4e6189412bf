// UDP header (RFC 768; RFC 8200 §8.1 for IPv6). The checksum covers the IPv4/IPv6 pseudo-header,
// so encoding and verifying need the addresses of the enclosing IP packet.
import { finishChecksum, onesComplementSum } from './checksum';
import type { DecodeOptions, PacketCodec, PseudoHeader } from './codec';
import { PacketArgumentError, PacketDecodeError, PacketEncodeError, truncatedError } from './errors';
import { IpProtocol } from './protocol';
import { pseudoHeaderSum, upperLayerChecksum } from './pseudo-header';
import { assertIndex, checkField, checkRoom, decodedLength } from './validate';

export const UDP_HEADER_LENGTH = 8;

const EMPTY = Buffer.alloc(0);
const MAX_DATAGRAM_LENGTH = 0xffff;

export interface UdpDatagram {
  sourcePort: number;
  destinationPort: number;
  /** The length field: header and payload bytes. */
  length: number;
  /** 0 in IPv4 means "no checksum". */
  checksum: number;
  /** View into the decoded buffer; shorter than `length - 8` when decoded with allowTruncatedPayload. */
  payload: Buffer;
}

/** What the encoder needs; defaults in brackets. A decoded UdpDatagram with `pseudo` added is also valid. */
export interface UdpDatagramFields {
  /** The addresses of the IP packet carrying the datagram, which its checksum covers. */
  pseudo: PseudoHeader;
  sourcePort: number;
  destinationPort: number;
  /** [none] */
  payload?: Buffer;
}

export interface UdpDecodeOptions extends DecodeOptions {
  /** The checksum is verified when given (ERR_PACKET_BAD_CHECKSUM on mismatch); a zero IPv4 checksum passes. */
  pseudo?: PseudoHeader;
  /**
   * [false] Whether the length field may exceed the bytes given, as in the datagram an ICMP error
   * quotes (often only its first 8 bytes). The checksum is then not verified.
   */
  allowTruncatedPayload?: boolean;
}

/** IPv4 lets a datagram go without a checksum (0); IPv6 does not (RFC 8200 §8.1). */
function isIpv4(pseudo: PseudoHeader): boolean {
  const source = pseudo.source;
  return typeof source === 'string' ? !source.includes(':') : source.length === 4;
}

/** Checksum value of a datagram whose checksum field holds zero (or, if verifying, its value: 0 means valid). */
export function udpChecksum(datagram: Buffer, pseudo: PseudoHeader): number {
  return upperLayerChecksum(pseudo, IpProtocol.Udp, datagram, 0, datagram.length, 'udp');
}

function encodingLength(fields: UdpDatagramFields): number {
  return UDP_HEADER_LENGTH + (fields.payload?.length ?? 0);
}

/** A computed checksum of 0 is sent as 0xffff (RFC 768). */
function encode(fields: UdpDatagramFields, buf?: Buffer, offset = 0): Buffer {
  const { pseudo } = fields;
  const payload = fields.payload ?? EMPTY;
  checkField(fields.sourcePort, 0xffff, 'udp', 'sourcePort');
  checkField(fields.destinationPort, 0xffff, 'udp', 'destinationPort');
  const length = encodingLength(fields);
  if (length > MAX_DATAGRAM_LENGTH) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      'udp',
      `udp: datagram would be ${length} bytes, more than ${MAX_DATAGRAM_LENGTH}; shorten the payload`,
    );
  }
  // Before anything is written, so that a bad address leaves the buffer untouched.
  const initial = pseudoHeaderSum(pseudo.source, pseudo.destination, IpProtocol.Udp, length, 'udp');
  const target = buf ?? Buffer.alloc(offset + length);
  checkRoom(target, offset, length, 'udp', 'datagram');
  target.writeUInt16BE(fields.sourcePort, offset);
  target.writeUInt16BE(fields.destinationPort, offset + 2);
  target.writeUInt16BE(length, offset + 4);
  target.writeUInt16BE(0, offset + 6);
  payload.copy(target, offset + UDP_HEADER_LENGTH);
  const checksum = finishChecksum(onesComplementSum(target, offset, length, initial));
  target.writeUInt16BE(checksum === 0 ? 0xffff : checksum, offset + 6);
  return target;
}

/**
 * Makes the checksum of an encoded datagram equal `wanted` by rewriting the two payload bytes at
 * `at` (an even offset into the datagram, past the header): how a Paris traceroute probe carries its
 * identity in the one field that every ICMP error quotes while its ports stay fixed.
 */
export function forceUdpChecksum(datagram: Buffer, pseudo: PseudoHeader, wanted: number, at: number): void {
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 0xfffe) {
    throw new PacketArgumentError(`wanted checksum must be an integer in 1..0xfffe, got ${String(wanted)}`);
  }
  assertIndex(at, 'at');
  if (at % 2 !== 0 || at < UDP_HEADER_LENGTH || at + 2 > datagram.length) {
    throw new PacketArgumentError(
      `at must be an even payload offset of the ${datagram.length}-byte datagram, got ${at}`,
    );
  }
  datagram.writeUInt16BE(wanted, 6);
  datagram.writeUInt16BE(0, at);
  // A valid datagram sums to 0xffff (one's complement zero): the two bytes add what is missing.
  const folded = 0xffff - upperLayerChecksum(pseudo, IpProtocol.Udp, datagram, 0, datagram.length, 'udp');
  datagram.writeUInt16BE(~folded & 0xffff, at);
}

/** Decodes the datagram in buf[offset, offset+length), e.g. the payload of an IP packet. */
function decode(buf: Buffer, offset = 0, options?: UdpDecodeOptions): UdpDatagram {
  assertIndex(offset, 'offset');
  if (options?.length !== undefined) assertIndex(options.length, 'length');
  const length = options?.length ?? Math.max(0, buf.length - offset);
  const available = Math.min(length, buf.length - offset);
  if (available < UDP_HEADER_LENGTH) {
    throw truncatedError('udp', 'header', UDP_HEADER_LENGTH, offset, available);
  }
  decodedLength(buf, offset, length, 'udp', 'datagram');
  const declared = buf.readUInt16BE(offset + 4);
  const truncated = declared > length;
  if (declared < UDP_HEADER_LENGTH || (truncated && options?.allowTruncatedPayload !== true)) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_LENGTH',
      'udp',
      offset + 4,
      declared < UDP_HEADER_LENGTH
        ? `udp: length ${declared} at offset ${offset + 4} is less than the 8-byte header`
        : `udp: length ${declared} at offset ${offset + 4} exceeds the ${length} bytes given`,
    );
  }
  const checksum = buf.readUInt16BE(offset + 6);
  const end = offset + Math.min(declared, length);
  if (options?.pseudo && !truncated && !(checksum === 0 && isIpv4(options.pseudo))) {
    if (upperLayerChecksum(options.pseudo, IpProtocol.Udp, buf, offset, declared, 'udp') !== 0) {
      throw new PacketDecodeError(
        'ERR_PACKET_BAD_CHECKSUM',
        'udp',
        offset + 6,
        `udp: checksum 0x${checksum.toString(16).padStart(4, '0')} at offset ${offset + 6} is wrong`,
      );
    }
  }
  return {
    sourcePort: buf.readUInt16BE(offset),
    destinationPort: buf.readUInt16BE(offset + 2),
    length: declared,
    checksum,
    payload: buf.subarray(offset + UDP_HEADER_LENGTH, end),
  };
}

/** UDP (the codec shape is in codec.ts); the checksum covers the pseudo-header of `pseudo`. */
export const udpDatagram: PacketCodec<UdpDatagramFields, UdpDatagram, UdpDecodeOptions> = {
  encode,
  encodingLength,
  decode,
};
