// Argument checks shared by the codecs. Not re-exported from index.ts.
import { PacketArgumentError, PacketDecodeError, PacketEncodeError, type PacketLayer } from './errors';

/**
 * Offsets and lengths come from the calling code, not from the packet, so a bad one is a
 * programming error: it throws a RangeError rather than a packet error.
 */
export function assertIndex(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new PacketArgumentError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
}

/** Throws ERR_PACKET_BAD_FIELD unless `value` is an integer in 0..max. */
export function checkField(value: number, max: number, layer: PacketLayer, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      layer,
      `${layer}: ${field} must be an integer in 0..${max}, got ${String(value)}`,
    );
  }
}

/** Throws ERR_PACKET_BUFFER_TOO_SMALL unless `needed` bytes fit in `buf` at `offset`. */
export function checkRoom(
  buf: Buffer,
  offset: number,
  needed: number,
  layer: PacketLayer,
  what: string,
): void {
  assertIndex(offset, 'offset');
  if (offset + needed > buf.length) {
    throw new PacketEncodeError(
      'ERR_PACKET_BUFFER_TOO_SMALL',
      layer,
      `${layer}: ${what} needs ${needed} bytes at offset ${offset}, buffer has ${Math.max(0, buf.length - offset)}`,
    );
  }
}

/**
 * The length of the packet a decoder reads at `offset`: `length` when given (it must fit in
 * `buf`), else the rest of `buf`. Throws ERR_PACKET_TRUNCATED, naming the packet `what`, when
 * `length` overruns the buffer.
 */
export function decodedLength(
  buf: Buffer,
  offset: number,
  length: number | undefined,
  layer: PacketLayer,
  what: string,
): number {
  assertIndex(offset, 'offset');
  const available = buf.length - offset;
  // An offset past the end leaves 0 bytes: the decoder's own check then says what it needed.
  if (length === undefined) return Math.max(0, available);
  assertIndex(length, 'length');
  if (length > available) {
    throw new PacketDecodeError(
      'ERR_PACKET_TRUNCATED',
      layer,
      offset,
      `${layer}: ${what} of ${length} bytes at offset ${offset} overruns the buffer, which has ${Math.max(0, available)}`,
    );
  }
  return length;
}
