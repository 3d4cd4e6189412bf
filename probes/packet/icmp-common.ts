// Layout shared by ICMPv4 and ICMPv6 (RFC 792, RFC 4443): type, code, checksum, then 4 bytes
// whose meaning depends on the type, then the body. Not re-exported from index.ts.
import { PacketDecodeError, PacketEncodeError } from './errors';
import type { IcmpEchoInit, IcmpErrorInit, IcmpInit } from './icmp';
import { checkField, checkRoom } from './validate';

export type IcmpLayer = 'icmpv4' | 'icmpv6';

export const ICMP_FIXED_LENGTH = 8;
/** Neither family can carry a longer message without jumbograms. */
const MAX_MESSAGE_LENGTH = 0xffff;

/**
 * The buffer an echo or error message of `length` bytes is written into at `offset`: `target`, when
 * it has room, or a new one. Throws when no IP packet could carry the message.
 */
function messageBuffer(
  target: Buffer | undefined,
  offset: number,
  length: number,
  layer: IcmpLayer,
  kind: 'echo' | 'error',
): Buffer {
  const bodyField = kind === 'echo' ? 'payload' : 'quoted';
  if (length > MAX_MESSAGE_LENGTH) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      layer,
      `${layer}: message would be ${length} bytes, more than ${MAX_MESSAGE_LENGTH}; shorten ${bodyField}`,
    );
  }
  const buf = target ?? Buffer.alloc(offset + length);
  checkRoom(buf, offset, length, layer, `${kind} message`);
  return buf;
}

/** The bytes of an echo or error message: the 8-byte header, then its payload or quoted datagram. */
export function icmpEncodingLength(msg: IcmpInit): number {
  return ICMP_FIXED_LENGTH + ('quoted' in msg ? msg.quoted.length : msg.payload.length);
}

/**
 * Checks an echo message (the caller checks its type), then writes it with a zero checksum into
 * `buf` (a new Buffer when absent), which it returns.
 */
export function writeEcho(
  msg: IcmpEchoInit,
  target: Buffer | undefined,
  offset: number,
  layer: IcmpLayer,
): Buffer {
  const code = msg.code ?? 0;
  checkField(code, 0xff, layer, 'code');
  checkField(msg.identifier, 0xffff, layer, 'identifier');
  checkField(msg.sequence, 0xffff, layer, 'sequence');
  const buf = messageBuffer(target, offset, ICMP_FIXED_LENGTH + msg.payload.length, layer, 'echo');
  buf[offset] = msg.type;
  buf[offset + 1] = code;
  buf.writeUInt16BE(0, offset + 2);
  buf.writeUInt16BE(msg.identifier, offset + 4);
  buf.writeUInt16BE(msg.sequence, offset + 6);
  msg.payload.copy(buf, offset + ICMP_FIXED_LENGTH);
  return buf;
}

/**
 * Checks the code and quoted datagram of an error message (the caller checks its type, mtu
 * and pointer), then writes it with a zero checksum and zeros in bytes 4..7, for the caller
 * to fill, into `buf` (a new Buffer when absent), which it returns.
 */
export function writeErrorFrame(
  msg: IcmpErrorInit,
  target: Buffer | undefined,
  offset: number,
  layer: IcmpLayer,
): Buffer {
  checkField(msg.code, 0xff, layer, 'code');
  const buf = messageBuffer(target, offset, ICMP_FIXED_LENGTH + msg.quoted.length, layer, 'error');
  buf[offset] = msg.type;
  buf[offset + 1] = msg.code;
  buf.writeUInt32BE(0, offset + 2);
  buf.writeUInt16BE(0, offset + 6);
  msg.quoted.copy(buf, offset + ICMP_FIXED_LENGTH);
  return buf;
}

export function badType(layer: IcmpLayer, kind: string, allowed: string, type: number): PacketEncodeError {
  return new PacketEncodeError(
    'ERR_PACKET_BAD_FIELD',
    layer,
    `${layer}: ${kind} type must be ${allowed}, got ${String(type)}`,
  );
}

/** Throws unless the message of `length` bytes at `offset` (in bounds: decodedLength) holds the 8-byte header. */
export function checkMessageBounds(length: number, offset: number, layer: IcmpLayer): void {
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
