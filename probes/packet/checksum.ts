// RFC 1071 Internet checksum. Sums are kept as plain (double) numbers: 16-bit words add up
// exactly until 2^53, i.e. for buffers far larger than any Buffer can be, so no intermediate
// folding is needed and nothing is truncated to 32 bits.
import { PacketArgumentError, PacketEncodeError } from './errors';
import { assertIndex } from './validate';

/**
 * One's-complement sum of 16-bit big-endian words (odd trailing byte padded with zero),
 * added to `initial`; not folded, not complemented.
 */
export function onesComplementSum(buf: Buffer, offset: number, length: number, initial = 0): number {
  assertIndex(offset, 'offset');
  assertIndex(length, 'length');
  const end = offset + length;
  if (end > buf.length) {
    throw new PacketArgumentError(
      `checksum range ${offset}..${end} is beyond the buffer (${buf.length} bytes)`,
    );
  }
  let sum = initial;
  const evenEnd = end - (length & 1);
  let i = offset;
  // Indexes are in bounds (checked above), hence the non-null assertions.
  for (; i < evenEnd; i += 2) {
    sum += (buf[i]! << 8) | buf[i + 1]!;
  }
  if (i < end) {
    sum += buf[i]! << 8;
  }
  return sum;
}

/** Fold a running sum to 16 bits and complement it: the value to write in a checksum field. */
export function finishChecksum(sum: number): number {
  // Division rather than `>>> 16`: the sum may exceed 32 bits.
  while (sum > 0xffff) {
    sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  }
  return ~sum & 0xffff;
}

/** RFC 1071 Internet checksum of buf[offset, offset+length). */
export function internetChecksum(buf: Buffer, offset: number, length: number, initial = 0): number {
  return finishChecksum(onesComplementSum(buf, offset, length, initial));
}

/**
 * Partial sum of the IPv4 or IPv6 pseudo-header (RFC 768 / RFC 8200 §8.1) for an
 * upper-layer packet. Addresses are 4- or 16-byte Buffers (both the same family).
 */
export function pseudoHeaderSum(
  source: Buffer,
  destination: Buffer,
  protocol: number,
  upperLayerLength: number,
): number {
  const size = source.length;
  if ((size !== 4 && size !== 16) || destination.length !== size) {
    throw new PacketEncodeError(
      'ERR_PACKET_BAD_ADDRESS',
      'address',
      `address: pseudo-header needs two 4-byte or two 16-byte addresses, got ${size} and ${destination.length} bytes`,
    );
  }
  // IPv4 carries a 16-bit length, IPv6 a 32-bit one; the protocol sits in the low byte of
  // its word either way, so both add up the same.
  const maxLength = size === 4 ? 0xffff : 0xffffffff;
  if (!Number.isInteger(upperLayerLength) || upperLayerLength < 0 || upperLayerLength > maxLength) {
    throw new PacketArgumentError(
      `upper-layer length must be an integer in 0..${maxLength}, got ${upperLayerLength}`,
    );
  }
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 0xff) {
    throw new PacketArgumentError(`protocol must be an integer in 0..255, got ${protocol}`);
  }
  let sum = onesComplementSum(source, 0, size);
  sum = onesComplementSum(destination, 0, size, sum);
  return sum + protocol + (upperLayerLength & 0xffff) + Math.floor(upperLayerLength / 0x10000);
}
