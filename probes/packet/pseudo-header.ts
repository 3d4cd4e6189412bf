// The pseudo-header that TCP and UDP checksums cover (RFC 793 §3.1, RFC 768, RFC 8200 §8.1).
import { ipFamily, writeIpv4Address, writeIpv6Address } from './address';
import { finishChecksum, onesComplementSum, pseudoHeaderSum as pseudoHeaderSumOfBytes } from './checksum';
import type { PseudoHeader } from './codec';
import { PacketEncodeError, type PacketLayer } from './errors';

// Scratch space, safe to share because the sum is computed synchronously.
const sourceScratch = Buffer.alloc(16);
const destinationScratch = Buffer.alloc(16);

function addressBytes(addr: string | Buffer, scratch: Buffer, layer: PacketLayer, field: string): Buffer {
  if (Buffer.isBuffer(addr)) return addr;
  switch (ipFamily(addr)) {
    case 4:
      writeIpv4Address(addr, scratch, 0, layer, field);
      return scratch.subarray(0, 4);
    case 6:
      writeIpv6Address(addr, scratch, 0, layer, field);
      return scratch;
    default:
      throw new PacketEncodeError(
        'ERR_PACKET_BAD_ADDRESS',
        layer,
        `${layer}: pseudo-header ${field} '${String(addr)}' is not an IPv4 or IPv6 address`,
      );
  }
}

/**
 * Partial one's complement sum (not folded, not complemented) of the IPv4 or IPv6 pseudo-header
 * of an upper-layer packet of `length` bytes. Addresses are IP literals of one family, or 4- or
 * 16-byte Buffers; a mix of families throws ERR_PACKET_BAD_ADDRESS.
 */
export function pseudoHeaderSum(
  source: string | Buffer,
  destination: string | Buffer,
  protocol: number,
  length: number,
  layer: PacketLayer = 'address',
): number {
  return pseudoHeaderSumOfBytes(
    addressBytes(source, sourceScratch, layer, 'source'),
    addressBytes(destination, destinationScratch, layer, 'destination'),
    protocol,
    length,
  );
}

/**
 * The checksum of the upper-layer packet in buf[offset, offset+length) under the pseudo-header of
 * `pseudo`, its checksum field counted as it stands: the value to write when the field holds zero,
 * 0 when verifying a valid packet.
 */
export function upperLayerChecksum(
  pseudo: PseudoHeader,
  protocol: number,
  buf: Buffer,
  offset: number,
  length: number,
  layer: PacketLayer,
): number {
  const initial = pseudoHeaderSum(pseudo.source, pseudo.destination, protocol, length, layer);
  return finishChecksum(onesComplementSum(buf, offset, length, initial));
}
