/**
 * The one shape of every codec in this directory, after dns-packet's:
 *
 * - `encode(fields, buf?, offset = 0)` writes the packet, checksum included, at `buf[offset]` and
 *   returns `buf`; without `buf` it returns a new Buffer of exactly `encodingLength(fields)` bytes.
 *   Bad fields throw a PacketEncodeError before a byte of `buf` is written.
 * - `encodingLength(fields)` is the number of bytes `encode` writes, so that a caller can size one
 *   buffer for a whole packet and encode each layer into it at its offset: no buffer per layer,
 *   no copy.
 * - `decode(buf, offset = 0, options?)` reads the packet in `buf[offset, offset + options.length)`
 *   (to the end of `buf` by default) and returns its fields; Buffer fields are views of `buf`.
 *   Malformed bytes throw a PacketDecodeError.
 *
 * A decoded value is valid fields for `encode` (computed fields such as checksums and header
 * lengths are recomputed). A checksum that covers the enclosing IP packet's addresses (TCP, UDP,
 * ICMPv6) takes them as `pseudo`: in the fields to encode, in the options to verify on decoding.
 */
export interface PacketCodec<Fields, Decoded, Options extends DecodeOptions = DecodeOptions> {
  encode(fields: Fields, buf?: Buffer, offset?: number): Buffer;
  encodingLength(fields: Fields): number;
  decode(buf: Buffer, offset?: number, options?: Options): Decoded;
}

export interface DecodeOptions {
  /** Bytes of the packet from `offset`. [to the end of the buffer] */
  length?: number;
}

/** The addresses of the IP packet that carries a message: IP literals, or 4- or 16-byte Buffers, of one family. */
export interface PseudoHeader {
  source: string | Buffer;
  destination: string | Buffer;
}
