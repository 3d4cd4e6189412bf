// ICMP for IPv4 (RFC 792), and the message types that ICMPv6 shares.
import { internetChecksum } from './checksum';
import type { DecodeOptions, PacketCodec } from './codec';
import {
  ICMP_FIXED_LENGTH,
  badChecksum,
  badType,
  checkMessageBounds,
  icmpEncodingLength,
  writeEcho,
  writeErrorFrame,
} from './icmp-common';
import { PacketEncodeError } from './errors';
import { IcmpType } from './protocol';
import { checkField, decodedLength } from './validate';

export const ICMP_HEADER_LENGTH = ICMP_FIXED_LENGTH;

/** Codes of IcmpType.DestinationUnreachable that a prober commonly meets. */
export const IcmpUnreachableCode = {
  Network: 0,
  Host: 1,
  Protocol: 2,
  Port: 3,
  FragmentationNeeded: 4,
  NetworkProhibited: 9,
  HostProhibited: 10,
  AdministrativelyProhibited: 13,
} as const;

export interface IcmpEcho {
  kind: 'echo';
  type: number;
  code: number;
  checksum: number;
  identifier: number;
  sequence: number;
  /** View into the decoded buffer. */
  payload: Buffer;
}

export interface IcmpError {
  kind: 'error';
  type: number;
  code: number;
  checksum: number;
  /**
   * View of the original datagram, IP header onward: every byte after the 8-byte ICMP
   * header, including any RFC 4884 extension structure.
   */
  quoted: Buffer;
  /** ICMPv4 fragmentation-needed next-hop MTU (0 from pre-RFC 1191 routers), ICMPv6 packet-too-big MTU. */
  mtu?: number;
  /** Parameter problem: offset of the offending byte in the quoted datagram. */
  pointer?: number;
}

export interface IcmpOther {
  kind: 'other';
  type: number;
  code: number;
  checksum: number;
  /** View of the bytes after the 4-byte type/code/checksum. */
  body: Buffer;
}

export type IcmpMessage = IcmpEcho | IcmpError | IcmpOther;

export interface IcmpEchoInit {
  type: number;
  /** [0] */
  code?: number;
  identifier: number;
  sequence: number;
  payload: Buffer;
}

export interface IcmpErrorInit {
  type: number;
  code: number;
  quoted: Buffer;
  /** Only for ICMPv4 type 3 code 4, and ICMPv6 type 2. */
  mtu?: number;
  /** Only for parameter problem (ICMPv4 type 12, ICMPv6 type 4). */
  pointer?: number;
}

/** An echo or an error message, told apart by `quoted`; ICMPv6 adds the addresses of its checksum. */
export type IcmpInit = IcmpEchoInit | IcmpErrorInit;

export interface IcmpDecodeOptions extends DecodeOptions {
  /** [true] */
  verifyChecksum?: boolean;
}

function isFragmentationNeeded(type: number, code: number): boolean {
  return type === IcmpType.DestinationUnreachable && code === IcmpUnreachableCode.FragmentationNeeded;
}

function fieldNotAllowed(field: string, where: string): PacketEncodeError {
  return new PacketEncodeError(
    'ERR_PACKET_BAD_FIELD',
    'icmpv4',
    `icmpv4: ${field} is only carried by ${where}`,
  );
}

/** An echo request (type 8) or reply (type 0), with its checksum. */
function encodeEcho(msg: IcmpEchoInit, buf: Buffer | undefined, offset: number): Buffer {
  if (msg.type !== IcmpType.EchoRequest && msg.type !== IcmpType.EchoReply) {
    throw badType('icmpv4', 'echo', '8 or 0', msg.type);
  }
  const target = writeEcho(msg, buf, offset, 'icmpv4');
  const length = ICMP_FIXED_LENGTH + msg.payload.length;
  target.writeUInt16BE(internetChecksum(target, offset, length), offset + 2);
  return target;
}

/**
 * A destination unreachable (3), time exceeded (11) or parameter problem (12) message, with its
 * checksum.
 */
function encodeError(msg: IcmpErrorInit, buf: Buffer | undefined, offset: number): Buffer {
  const { type, mtu, pointer } = msg;
  if (
    type !== IcmpType.DestinationUnreachable &&
    type !== IcmpType.TimeExceeded &&
    type !== IcmpType.ParameterProblem
  ) {
    throw badType('icmpv4', 'error', '3, 11 or 12', type);
  }
  if (mtu !== undefined) {
    if (!isFragmentationNeeded(type, msg.code)) {
      throw fieldNotAllowed('mtu', 'destination unreachable, fragmentation needed (type 3 code 4)');
    }
    checkField(mtu, 0xffff, 'icmpv4', 'mtu');
  }
  if (pointer !== undefined) {
    if (type !== IcmpType.ParameterProblem) throw fieldNotAllowed('pointer', 'parameter problem (type 12)');
    checkField(pointer, 0xff, 'icmpv4', 'pointer');
  }
  const target = writeErrorFrame(msg, buf, offset, 'icmpv4');
  if (mtu !== undefined) target.writeUInt16BE(mtu, offset + 6);
  if (pointer !== undefined) target[offset + 4] = pointer;
  const length = ICMP_FIXED_LENGTH + msg.quoted.length;
  target.writeUInt16BE(internetChecksum(target, offset, length), offset + 2);
  return target;
}

function encode(msg: IcmpInit, buf?: Buffer, offset = 0): Buffer {
  return 'quoted' in msg ? encodeError(msg, buf, offset) : encodeEcho(msg, buf, offset);
}

/** Decodes the ICMPv4 message in buf[offset, offset+length), e.g. the payload of an IPv4 packet. */
function decode(buf: Buffer, offset = 0, options?: IcmpDecodeOptions): IcmpMessage {
  const length = decodedLength(buf, offset, options?.length, 'icmpv4', 'message');
  checkMessageBounds(length, offset, 'icmpv4');
  if (options?.verifyChecksum !== false && internetChecksum(buf, offset, length) !== 0) {
    throw badChecksum('icmpv4', buf, offset);
  }
  const type = buf[offset]!;
  const code = buf[offset + 1]!;
  const checksum = buf.readUInt16BE(offset + 2);
  const end = offset + length;
  switch (type) {
    case IcmpType.EchoReply:
    case IcmpType.EchoRequest:
      return {
        kind: 'echo',
        type,
        code,
        checksum,
        identifier: buf.readUInt16BE(offset + 4),
        sequence: buf.readUInt16BE(offset + 6),
        payload: buf.subarray(offset + ICMP_HEADER_LENGTH, end),
      };
    case IcmpType.DestinationUnreachable:
    case IcmpType.TimeExceeded: {
      const quoted = buf.subarray(offset + ICMP_HEADER_LENGTH, end);
      if (isFragmentationNeeded(type, code)) {
        return { kind: 'error', type, code, checksum, quoted, mtu: buf.readUInt16BE(offset + 6) };
      }
      return { kind: 'error', type, code, checksum, quoted };
    }
    case IcmpType.ParameterProblem:
      return {
        kind: 'error',
        type,
        code,
        checksum,
        quoted: buf.subarray(offset + ICMP_HEADER_LENGTH, end),
        pointer: buf[offset + 4]!,
      };
    default:
      return { kind: 'other', type, code, checksum, body: buf.subarray(offset + 4, end) };
  }
}

/**
 * ICMP for IPv4 (the codec shape is in codec.ts): encodes an echo (IcmpEchoInit) or an error
 * (IcmpErrorInit, the one with `quoted`); decodes any message.
 */
export const icmp: PacketCodec<IcmpInit, IcmpMessage, IcmpDecodeOptions> = {
  encode,
  encodingLength: icmpEncodingLength,
  decode,
};
