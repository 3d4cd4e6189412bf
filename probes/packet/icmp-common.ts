// Layout shared by ICMPv4 and ICMPv6 (RFC 792, RFC 4443): type, code, checksum, then 4 bytes
// whose meaning depends on the type, then the body. Not re-exported from index.ts.
import { PacketDecodeError, PacketEncodeError } from './errors';
import type { IcmpEchoInit, IcmpErrorInit } from './icmp';
import { assertIndex, checkField, checkRoom } from './validate';

export type IcmpLayer = 'icmpv4' | 'icmpv6';

export const ICMP_FIXED_LENGTH = 8;
/** Neither family can carry a longer message without jumbograms. */
const MAX_MESSAGE_LENGTH = 0xffff;

function checkMessageLength(length: number, layer: IcmpLayer, bodyField: string): void {
  if (length > MAX_MESSAGE_LENGTH) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      layer,
      `${layer}: message would be ${length} bytes, more than ${MAX_MESSAGE_LENGTH}; shorten ${bodyField}`,
    );
  }
}

/**
 * Checks an echo message (the caller checks its type), then writes it with a zero checksum.
 * Returns its length.
 */
export function writeEcho(msg: IcmpEchoInit, buf: Buffer, offset: number, layer: IcmpLayer): number {
  const code = msg.code ?? 0;
  checkField(code, 0xff, layer, 'code');
  checkField(msg.identifier, 0xffff, layer, 'identifier');
  checkField(msg.sequence, 0xffff, layer, 'sequence');
  const length = ICMP_FIXED_LENGTH + msg.payload.length;
  checkMessageLength(length, layer, 'payload');
  checkRoom(buf, offset, length, layer, 'echo message');
  buf[offset] = msg.type;
  buf[offset + 1] = code;
  buf.writeUInt16BE(0, offset + 2);
  buf.writeUInt16BE(msg.identifier, offset + 4);
  buf.writeUInt16BE(msg.sequence, offset + 6);
  msg.payload.copy(buf, offset + ICMP_FIXED_LENGTH);
  return length;
}

/**
 * Checks the code and quoted datagram of an error message (the caller checks its type, mtu
 * and pointer), then writes it with a zero checksum and zeros in bytes 4..7, for the caller
 * to fill. Returns its length.
 */
export function writeErrorFrame(msg: IcmpErrorInit, buf: Buffer, offset: number, layer: IcmpLayer): number {
  checkField(msg.code, 0xff, layer, 'code');
  const length = ICMP_FIXED_LENGTH + msg.quoted.length;
  checkMessageLength(length, layer, 'quoted');
  checkRoom(buf, offset, length, layer, 'error message');
  buf[offset] = msg.type;
  buf[offset + 1] = msg.code;
  buf.writeUInt32BE(0, offset + 2);
  buf.writeUInt16BE(0, offset + 6);
  msg.quoted.copy(buf, offset + ICMP_FIXED_LENGTH);
  return length;
}

export function badType(layer: IcmpLayer, kind: string, allowed: string, type: number): PacketEncodeError {
  return new PacketEncodeError(
    'ERR_PACKET_BAD_FIELD',
    layer,
    `${layer}: ${kind} type must be ${allowed}, got ${String(type)}`,
  );
}

/** Throws unless buf[offset, offset+length) exists and holds at least the 8-byte header. */
export function checkMessageBounds(buf: Buffer, offset: number, length: number, layer: IcmpLayer): void {
  assertIndex(offset, 'offset');
  assertIndex(length, 'length');
  const available = buf.length - offset;
  if (length > available) {
    throw new PacketDecodeError(
      'ERR_PACKET_TRUNCATED',
      layer,
      offset,
      `${layer}: message of ${length} bytes at offset ${offset} overruns the buffer, which has ${Math.max(0, available)}`,
    );
  }
  if (length < ICMP_FIXED_LENGTH) {
    throw new PacketDecodeError(
      'ERR_PACKET_TRUNCATED',
      layer,
      offset,
      `${layer}: header needs ${ICMP_FIXED_LENGTH} bytes at offset ${offset}, message has ${length}`,
    );
  }
}

export function badChecksum(layer: IcmpLayer, buf: Buffer, offset: number): PacketDecodeError {
  const found = buf.readUInt16BE(offset + 2);
  return new PacketDecodeError(
    'ERR_PACKET_BAD_CHECKSUM',
    layer,
    offset + 2,
    `${layer}: checksum 0x${found.toString(16).padStart(4, '0')} at offset ${offset + 2} is wrong`,
  );
}
