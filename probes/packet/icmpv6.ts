// ICMPv6 (RFC 4443). Its checksum covers the IPv6 pseudo-header, so encoding and verifying
// need the source and destination addresses; a raw ICMPv6 socket delivers the message
// without its IPv6 header, so they come from the socket, not from the bytes.
import { writeIpv6Address } from './address';
import { internetChecksum, pseudoHeaderSum } from './checksum';
import type { DecodeOptions, PacketCodec, PseudoHeader } from './codec';
import { PacketEncodeError } from './errors';
import type { IcmpEchoInit, IcmpErrorInit, IcmpInit, IcmpMessage } from './icmp';
import {
  ICMP_FIXED_LENGTH,
  badChecksum,
  badType,
  checkMessageBounds,
  icmpEncodingLength,
  writeEcho,
  writeErrorFrame,
} from './icmp-common';
import { IpProtocol, Icmpv6Type } from './protocol';
import { checkField, decodedLength } from './validate';

export const ICMPV6_HEADER_LENGTH = ICMP_FIXED_LENGTH;

export const Icmpv6UnreachableCode = {
  NoRoute: 0,
  AdministrativelyProhibited: 1,
  BeyondScope: 2,
  Address: 3,
  Port: 4,
  SourcePolicy: 5,
  RejectRoute: 6,
} as const;

/** An ICMP message and the IPv6 addresses its checksum covers: text, or 16-byte Buffers to skip the parsing. */
export type Icmpv6Init = IcmpInit & { pseudo: PseudoHeader };

export interface Icmpv6DecodeOptions extends DecodeOptions {
  /** The checksum is verified only when these are given. */
  pseudo?: PseudoHeader;
}

const sourceScratch = Buffer.alloc(16);
const destinationScratch = Buffer.alloc(16);

function addressBytes(addr: string | Buffer, scratch: Buffer, field: string): Buffer {
  if (typeof addr === 'string') {
    writeIpv6Address(addr, scratch, 0, 'icmpv6', field);
    return scratch;
  }
  if (Buffer.isBuffer(addr) && addr.length === 16) return addr;
  throw new PacketEncodeError(
    'ERR_PACKET_BAD_ADDRESS',
    'icmpv6',
    `icmpv6: ${field} must be an IPv6 address string or a 16-byte Buffer`,
  );
}

/** An echo request (128) or reply (129), with its checksum. */
function encodeEcho(
  msg: IcmpEchoInit,
  pseudo: PseudoHeader,
  buf: Buffer | undefined,
  offset: number,
): Buffer {
  if (msg.type !== Icmpv6Type.EchoRequest && msg.type !== Icmpv6Type.EchoReply) {
    throw badType('icmpv6', 'echo', '128 or 129', msg.type);
  }
  const source = addressBytes(pseudo.source, sourceScratch, 'source');
  const destination = addressBytes(pseudo.destination, destinationScratch, 'destination');
  const target = writeEcho(msg, buf, offset, 'icmpv6');
  const length = ICMP_FIXED_LENGTH + msg.payload.length;
  const sum = pseudoHeaderSum(source, destination, IpProtocol.Icmpv6, length);
  target.writeUInt16BE(internetChecksum(target, offset, length, sum), offset + 2);
  return target;
}

function fieldNotAllowed(field: string, where: string): PacketEncodeError {
  return new PacketEncodeError(
    'ERR_PACKET_BAD_FIELD',
    'icmpv6',
    `icmpv6: ${field} is only carried by ${where}`,
  );
}

/**
 * A destination unreachable (1), packet too big (2), time exceeded (3) or parameter problem (4)
 * message, with its checksum.
 */
function encodeError(
  msg: IcmpErrorInit,
  pseudo: PseudoHeader,
  buf: Buffer | undefined,
  offset: number,
): Buffer {
  const { type, mtu, pointer } = msg;
  if (
    type < Icmpv6Type.DestinationUnreachable ||
    type > Icmpv6Type.ParameterProblem ||
    !Number.isInteger(type)
  ) {
    throw badType('icmpv6', 'error', '1, 2, 3 or 4', type);
  }
  if (mtu !== undefined) {
    if (type !== Icmpv6Type.PacketTooBig) throw fieldNotAllowed('mtu', 'packet too big (type 2)');
    checkField(mtu, 0xffffffff, 'icmpv6', 'mtu');
  }
  if (pointer !== undefined) {
    if (type !== Icmpv6Type.ParameterProblem) throw fieldNotAllowed('pointer', 'parameter problem (type 4)');
    checkField(pointer, 0xffffffff, 'icmpv6', 'pointer');
  }
  const source = addressBytes(pseudo.source, sourceScratch, 'source');
  const destination = addressBytes(pseudo.destination, destinationScratch, 'destination');
  const target = writeErrorFrame(msg, buf, offset, 'icmpv6');
  const parameter = mtu ?? pointer;
  if (parameter !== undefined) target.writeUInt32BE(parameter, offset + 4);
  const length = ICMP_FIXED_LENGTH + msg.quoted.length;
  const sum = pseudoHeaderSum(source, destination, IpProtocol.Icmpv6, length);
  target.writeUInt16BE(internetChecksum(target, offset, length, sum), offset + 2);
  return target;
}

function encode(msg: Icmpv6Init, buf?: Buffer, offset = 0): Buffer {
  return 'quoted' in msg
    ? encodeError(msg, msg.pseudo, buf, offset)
    : encodeEcho(msg, msg.pseudo, buf, offset);
}

/** Decodes the ICMPv6 message in buf[offset, offset+length). */
function decode(buf: Buffer, offset = 0, options?: Icmpv6DecodeOptions): IcmpMessage {
  const length = decodedLength(buf, offset, options?.length, 'icmpv6', 'message');
  checkMessageBounds(length, offset, 'icmpv6');
  const pseudo = options?.pseudo;
  if (pseudo !== undefined) {
    const source = addressBytes(pseudo.source, sourceScratch, 'source');
    const destination = addressBytes(pseudo.destination, destinationScratch, 'destination');
    const sum = pseudoHeaderSum(source, destination, IpProtocol.Icmpv6, length);
    if (internetChecksum(buf, offset, length, sum) !== 0) throw badChecksum('icmpv6', buf, offset);
  }
  const type = buf[offset]!;
  const code = buf[offset + 1]!;
  const checksum = buf.readUInt16BE(offset + 2);
  const end = offset + length;
  switch (type) {
    case Icmpv6Type.EchoRequest:
    case Icmpv6Type.EchoReply:
      return {
        kind: 'echo',
        type,
        code,
        checksum,
        identifier: buf.readUInt16BE(offset + 4),
        sequence: buf.readUInt16BE(offset + 6),
        payload: buf.subarray(offset + ICMPV6_HEADER_LENGTH, end),
      };
    case Icmpv6Type.DestinationUnreachable:
    case Icmpv6Type.TimeExceeded:
      return {
        kind: 'error',
        type,
        code,
        checksum,
        quoted: buf.subarray(offset + ICMPV6_HEADER_LENGTH, end),
      };
    case Icmpv6Type.PacketTooBig:
      return {
        kind: 'error',
        type,
        code,
        checksum,
        quoted: buf.subarray(offset + ICMPV6_HEADER_LENGTH, end),
        mtu: buf.readUInt32BE(offset + 4),
      };
    case Icmpv6Type.ParameterProblem:
      return {
        kind: 'error',
        type,
        code,
        checksum,
        quoted: buf.subarray(offset + ICMPV6_HEADER_LENGTH, end),
        pointer: buf.readUInt32BE(offset + 4),
      };
    default:
      return { kind: 'other', type, code, checksum, body: buf.subarray(offset + 4, end) };
  }
}

/**
 * ICMPv6 (the codec shape is in codec.ts): encodes an echo or an error (the one with `quoted`),
 * checksummed over the pseudo-header of `pseudo`; decodes any message.
 */
export const icmpv6: PacketCodec<Icmpv6Init, IcmpMessage, Icmpv6DecodeOptions> = {
  encode,
  encodingLength: icmpEncodingLength,
  decode,
};
