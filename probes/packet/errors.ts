import { CodedError } from '../coded-error';

export type PacketLayer = 'ipv4' | 'ipv6' | 'icmpv4' | 'icmpv6' | 'tcp' | 'udp' | 'address';

/** Stable codes of the packet codecs' errors (documented in docs/errors.md, like every code). */
export const PACKET_ERROR_CODES = [
  'ERR_PACKET_TRUNCATED', // fewer bytes than the header/field needs
  'ERR_PACKET_BAD_VERSION', // IP version nibble wrong
  'ERR_PACKET_BAD_HEADER_LENGTH', // IPv4 IHL < 5 or beyond buffer
  'ERR_PACKET_BAD_LENGTH', // total/payload length inconsistent with buffer
  'ERR_PACKET_BAD_CHECKSUM',
  'ERR_PACKET_BAD_ADDRESS', // unparsable IP address string given to an encoder
  'ERR_PACKET_BUFFER_TOO_SMALL', // encoder target buffer too small
  'ERR_PACKET_BAD_FIELD', // encoder field out of range (e.g. ttl 300)
  'ERR_PACKET_BAD_ARGUMENT', // an offset, length or family from the calling code out of range
] as const;

export type PacketErrorCode = (typeof PACKET_ERROR_CODES)[number];

/** The bytes given to a decoder are not a well-formed packet. */
export class PacketDecodeError extends CodedError<PacketErrorCode> {
  readonly layer: PacketLayer;
  /** Buffer offset of the header or field that failed. */
  readonly offset: number;

  constructor(code: PacketErrorCode, layer: PacketLayer, offset: number, message: string) {
    super(code, message);
    this.layer = layer;
    this.offset = offset;
  }
}

/** The values given to an encoder cannot be written as a packet. */
export class PacketEncodeError extends CodedError<PacketErrorCode> {
  readonly layer: PacketLayer;

  constructor(code: PacketErrorCode, layer: PacketLayer, message: string) {
    super(code, message);
    this.layer = layer;
  }
}

/**
 * An offset, length or family the calling code passed is out of range: a programming error, not a
 * packet error, so it stays a RangeError (as Node's own argument checks are), with a code.
 */
export class PacketArgumentError extends RangeError {
  readonly code = 'ERR_PACKET_BAD_ARGUMENT' satisfies PacketErrorCode;
}

// On the prototype rather than per instance, so the stack trace, which V8 captures
// while Error's constructor runs, already starts with the right name.
Object.defineProperty(PacketDecodeError.prototype, 'name', {
  value: 'PacketDecodeError',
  writable: true,
  configurable: true,
});
Object.defineProperty(PacketArgumentError.prototype, 'name', {
  value: 'PacketArgumentError',
  writable: true,
  configurable: true,
});
Object.defineProperty(PacketEncodeError.prototype, 'name', {
  value: 'PacketEncodeError',
  writable: true,
  configurable: true,
});

/** The `ERR_PACKET_TRUNCATED` error, worded the same way by every decoder. */
export function truncatedError(
  layer: PacketLayer,
  what: string,
  needed: number,
  offset: number,
  available: number,
): PacketDecodeError {
  return new PacketDecodeError(
    'ERR_PACKET_TRUNCATED',
    layer,
    offset,
    `${layer}: ${what} needs ${needed} bytes at offset ${offset}, buffer has ${Math.max(0, available)}`,
  );
}
