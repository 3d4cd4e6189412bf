import assert from 'node:assert/strict';

import type { DecodeOptions, PacketCodec, PseudoHeader } from '../../probes/packet';

/** Bytes around the packet when it is encoded into a caller's buffer: they must come back untouched. */
const SENTINEL = 0xa5;
const BEFORE = 7;
const AFTER = 5;

/**
 * The round trip every codec of probes/packet must pass (dns-packet's `testEncoder`, for this
 * library's PacketCodec shape), returning the decoded value for further checks:
 *
 * - encode(fields) returns a new Buffer of encodingLength(fields) bytes;
 * - decoding it gives back every field that was given (`pseudo` aside: it is what the decoder
 *   verifies the checksum against, and it is passed to decode for that);
 * - encoding the decoded value again gives the same bytes (computed fields are recomputed alike);
 * - encode(fields, buf, offset) returns `buf`, writes exactly buf[offset, offset+length) and the
 *   same bytes, and decode(buf, offset, { length }) reads the same value back.
 *
 * `options` are the decode options the packet needs beyond `length` and `pseudo` (an IP header
 * encoded without its payload decodes only with allowTruncatedPayload, say).
 */
export function assertRoundTrip<Fields extends object, Decoded, Options extends DecodeOptions>(
  codec: PacketCodec<Fields, Decoded, Options>,
  fields: Fields,
  options?: Options,
): Decoded {
  const pseudo = 'pseudo' in fields ? (fields.pseudo as PseudoHeader) : undefined;
  const decodeOptions = { ...options, ...(pseudo !== undefined && { pseudo }) } as Options;
  const length = codec.encodingLength(fields);

  const fresh = codec.encode(fields);
  assert.equal(fresh.length, length, 'encode(fields) returns a Buffer of encodingLength(fields) bytes');
  const decoded = codec.decode(fresh, 0, decodeOptions);
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'pseudo') continue;
    assert.deepEqual((decoded as Record<string, unknown>)[key], value, `field ${key} comes back decoded`);
  }

  const again = codec.encode({ ...decoded, ...(pseudo !== undefined && { pseudo }) } as unknown as Fields);
  assert.deepEqual(again, fresh, 'the decoded value encodes to the same bytes');

  const buf = Buffer.alloc(BEFORE + length + AFTER, SENTINEL);
  assert.equal(codec.encode(fields, buf, BEFORE), buf, 'encode into a given buffer returns that buffer');
  assert.deepEqual(buf.subarray(BEFORE, BEFORE + length), fresh, 'the same bytes at the offset');
  assert.ok(
    buf.subarray(0, BEFORE).every((b) => b === SENTINEL) &&
      buf.subarray(BEFORE + length).every((b) => b === SENTINEL),
    'nothing written outside buf[offset, offset + encodingLength)',
  );
  assert.deepEqual(
    codec.decode(buf, BEFORE, { ...decodeOptions, length }),
    decoded,
    'decoded at the offset as from a buffer of its own',
  );
  return decoded;
}
