// TCP header (RFC 9293 §3.1). The checksum covers the IPv4/IPv6 pseudo-header, so encoding and
// verifying need the addresses of the enclosing IP packet.
import { finishChecksum, onesComplementSum } from './checksum';
import type { DecodeOptions, PacketCodec, PseudoHeader } from './codec';
import { PacketDecodeError, PacketEncodeError } from './errors';
import { IpProtocol } from './protocol';
import { pseudoHeaderSum, upperLayerChecksum } from './pseudo-header';
import { checkField, checkRoom, decodedLength } from './validate';

export const TCP_HEADER_LENGTH = 20;
export const TCP_MAX_HEADER_LENGTH = 60;

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Option kinds (RFC 9293 §3.2, RFC 7323, RFC 2018). */
export const TcpOptionKind = {
  End: 0,
  Nop: 1,
  MaximumSegmentSize: 2,
  WindowScale: 3,
  SackPermitted: 4,
  Timestamps: 8,
} as const;

export interface TcpSegment {
  sourcePort: number;
  destinationPort: number;
  sequence: number;
  acknowledgment: number;
  /** The 8 flag bits of byte 13 (TcpFlag). */
  flags: number;
  window: number;
  checksum: number;
  urgentPointer: number;
  /** Bytes, 20..60. */
  headerLength: number;
  /** Raw option bytes, a view into the decoded buffer; empty when there are none. */
  options: Buffer;
  /** View into the decoded buffer. */
  payload: Buffer;
}

/**
 * What the encoder needs; defaults in brackets. A decoded TcpSegment with `pseudo` added is also
 * valid TcpSegmentFields: its checksum and headerLength are recomputed.
 */
export interface TcpSegmentFields {
  /** The addresses of the IP packet carrying the segment, which its checksum covers. */
  pseudo: PseudoHeader;
  sourcePort: number;
  destinationPort: number;
  sequence: number;
  /** [0] */
  acknowledgment?: number;
  flags: number;
  window: number;
  /** Ignored: always computed. */
  checksum?: number;
  /** Ignored: always 20 + options.length. */
  headerLength?: number;
  /** [0] */
  urgentPointer?: number;
  /** [none] A multiple of 4 bytes, at most 40 (pad with TcpOptionKind.Nop or End). */
  options?: Buffer;
  /** [none] */
  payload?: Buffer;
}

export interface TcpDecodeOptions extends DecodeOptions {
  /** The checksum is verified only when given (ERR_PACKET_BAD_CHECKSUM on mismatch). */
  pseudo?: PseudoHeader;
}

const EMPTY = Buffer.alloc(0);
const MAX_SEGMENT_LENGTH = 0xffff;

/** The 4-byte maximum segment size option, as a client's SYN carries it. */
export function mssOption(mss: number): Buffer {
  checkField(mss, 0xffff, 'tcp', 'mss');
  const option = Buffer.alloc(4);
  option[0] = TcpOptionKind.MaximumSegmentSize;
  option[1] = 4;
  option.writeUInt16BE(mss, 2);
  return option;
}

/** The value of the MSS option in `options`, or undefined if absent or malformed. */
export function mssOf(options: Buffer): number | undefined {
  let i = 0;
  while (i < options.length) {
    const kind = options[i]!;
    if (kind === TcpOptionKind.End) return undefined;
    if (kind === TcpOptionKind.Nop) {
      i++;
      continue;
    }
    const length = options[i + 1];
    if (length === undefined || length < 2 || i + length > options.length) return undefined;
    if (kind === TcpOptionKind.MaximumSegmentSize) {
      return length === 4 ? options.readUInt16BE(i + 2) : undefined;
    }
    i += length;
  }
  return undefined;
}

/** Checksum value of a segment whose checksum field holds zero (or, if verifying, its value: 0 means valid). */
export function tcpChecksum(segment: Buffer, pseudo: PseudoHeader): number {
  return upperLayerChecksum(pseudo, IpProtocol.Tcp, segment, 0, segment.length, 'tcp');
}

function encodingLength(fields: TcpSegmentFields): number {
  const options = fields.options ?? EMPTY;
  if (options.length % 4 !== 0 || options.length > TCP_MAX_HEADER_LENGTH - TCP_HEADER_LENGTH) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      'tcp',
      `tcp: options must be a multiple of 4 bytes and at most 40, got ${options.length}`,
    );
  }
  return TCP_HEADER_LENGTH + options.length + (fields.payload?.length ?? 0);
}

function encode(fields: TcpSegmentFields, buf?: Buffer, offset = 0): Buffer {
  const options = fields.options ?? EMPTY;
  const payload = fields.payload ?? EMPTY;
  const length = encodingLength(fields);
  const { pseudo } = fields;
  const acknowledgment = fields.acknowledgment ?? 0;
  const urgentPointer = fields.urgentPointer ?? 0;
  checkField(fields.sourcePort, 0xffff, 'tcp', 'sourcePort');
  checkField(fields.destinationPort, 0xffff, 'tcp', 'destinationPort');
  checkField(fields.sequence, 0xffffffff, 'tcp', 'sequence');
  checkField(acknowledgment, 0xffffffff, 'tcp', 'acknowledgment');
  checkField(fields.flags, 0xff, 'tcp', 'flags');
  checkField(fields.window, 0xffff, 'tcp', 'window');
  checkField(urgentPointer, 0xffff, 'tcp', 'urgentPointer');
  const headerLength = TCP_HEADER_LENGTH + options.length;
  if (length > MAX_SEGMENT_LENGTH) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      'tcp',
      `tcp: segment would be ${length} bytes, more than ${MAX_SEGMENT_LENGTH}; shorten the payload`,
    );
  }
  // Before anything is written, so that a bad address leaves the buffer untouched.
  const initial = pseudoHeaderSum(pseudo.source, pseudo.destination, IpProtocol.Tcp, length, 'tcp');
  const target = buf ?? Buffer.alloc(offset + length);
  checkRoom(target, offset, length, 'tcp', 'segment');

  target.writeUInt16BE(fields.sourcePort, offset);
  target.writeUInt16BE(fields.destinationPort, offset + 2);
  target.writeUInt32BE(fields.sequence, offset + 4);
  target.writeUInt32BE(acknowledgment, offset + 8);
  target[offset + 12] = (headerLength >> 2) << 4;
  target[offset + 13] = fields.flags;
  target.writeUInt16BE(fields.window, offset + 14);
  target.writeUInt16BE(0, offset + 16);
  target.writeUInt16BE(urgentPointer, offset + 18);
  options.copy(target, offset + TCP_HEADER_LENGTH);
  payload.copy(target, offset + headerLength);
  const checksum = finishChecksum(onesComplementSum(target, offset, length, initial));
  target.writeUInt16BE(checksum, offset + 16);
  return target;
}

/** Decodes the segment in buf[offset, offset+length), e.g. the payload of an IP packet. */
function decode(buf: Buffer, offset = 0, options?: TcpDecodeOptions): TcpSegment {
  const length = decodedLength(buf, offset, options?.length, 'tcp', 'segment');
  if (length < TCP_HEADER_LENGTH) {
    throw new PacketDecodeError(
      'ERR_PACKET_TRUNCATED',
      'tcp',
      offset,
      `tcp: header needs ${TCP_HEADER_LENGTH} bytes at offset ${offset}, segment has ${length}`,
    );
  }
  const headerLength = (buf[offset + 12]! >> 4) * 4;
  if (headerLength < TCP_HEADER_LENGTH || headerLength > length) {
    throw new PacketDecodeError(
      'ERR_PACKET_BAD_HEADER_LENGTH',
      'tcp',
      offset + 12,
      headerLength < TCP_HEADER_LENGTH
        ? `tcp: data offset at offset ${offset + 12} gives a ${headerLength}-byte header, minimum is 20`
        : `tcp: data offset at offset ${offset + 12} gives a ${headerLength}-byte header, segment has ${length}`,
    );
  }
  const checksum = buf.readUInt16BE(offset + 16);
  const pseudo = options?.pseudo;
  if (pseudo !== undefined) {
    if (upperLayerChecksum(pseudo, IpProtocol.Tcp, buf, offset, length, 'tcp') !== 0) {
      throw new PacketDecodeError(
        'ERR_PACKET_BAD_CHECKSUM',
        'tcp',
        offset + 16,
        `tcp: checksum 0x${checksum.toString(16).padStart(4, '0')} at offset ${offset + 16} is wrong`,
      );
    }
  }
  return {
    sourcePort: buf.readUInt16BE(offset),
    destinationPort: buf.readUInt16BE(offset + 2),
    sequence: buf.readUInt32BE(offset + 4),
    acknowledgment: buf.readUInt32BE(offset + 8),
    flags: buf[offset + 13]!,
    window: buf.readUInt16BE(offset + 14),
    checksum,
    urgentPointer: buf.readUInt16BE(offset + 18),
    headerLength,
    options:
      headerLength === TCP_HEADER_LENGTH
        ? EMPTY
        : buf.subarray(offset + TCP_HEADER_LENGTH, offset + headerLength),
    payload: buf.subarray(offset + headerLength, offset + length),
  };
}

/** hping3-style flag letters (e.g. "SA", "RA"), in the order F S R P A U E C. */
export function tcpFlagLetters(flags: number): string {
  const letters = 'FSRPAUEC';
  let text = '';
  for (let bit = 0; bit < 8; bit++) if ((flags & (1 << bit)) !== 0) text += letters[bit]!;
  return text;
}

/** TCP (the codec shape is in codec.ts); the checksum covers the pseudo-header of `pseudo`. */
export const tcpSegment: PacketCodec<TcpSegmentFields, TcpSegment, TcpDecodeOptions> = {
  encode,
  encodingLength,
  decode,
};
