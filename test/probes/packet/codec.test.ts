// The round-trip helper is what holds every codec to the one shape of probes/packet/codec.ts: it
// must fail on a codec that breaks any part of that shape, or its passing proves nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { udpDatagram, type UdpDatagramFields } from '../../../probes/packet';
import { assertRoundTrip } from '../../support/round-trip';

const fields: UdpDatagramFields = {
  pseudo: { source: '10.0.1.1', destination: '10.0.7.2' },
  sourcePort: 40000,
  destinationPort: 33434,
  payload: Buffer.from('netdiag-tr'),
};

const broken: Record<string, typeof udpDatagram> = {
  'an encodingLength one byte short': {
    ...udpDatagram,
    encodingLength: (f) => udpDatagram.encodingLength(f) - 1,
  },
  'a decoder that loses a field': {
    ...udpDatagram,
    decode: (buf, offset, options) => ({ ...udpDatagram.decode(buf, offset, options), destinationPort: 0 }),
  },
  'an encoder that returns a view, not the given buffer': {
    ...udpDatagram,
    encode: (f, buf, offset = 0) => {
      const out = udpDatagram.encode(f, buf, offset);
      return buf === undefined ? out : out.subarray(offset, offset + udpDatagram.encodingLength(f));
    },
  },
  'an encoder that writes past the packet': {
    ...udpDatagram,
    encode: (f, buf, offset = 0) => {
      const out = udpDatagram.encode(f, buf, offset);
      const end = offset + udpDatagram.encodingLength(f);
      if (end < out.length) out[end] = 0;
      return out;
    },
  },
  'an encoder that ignores the offset': {
    ...udpDatagram,
    encode: (f, buf) => udpDatagram.encode(f, buf, 0),
  },
  'a decoder that ignores the offset': {
    ...udpDatagram,
    decode: (buf, _offset, options) =>
      udpDatagram.decode(buf, 0, options?.pseudo === undefined ? {} : { pseudo: options.pseudo }),
  },
};

describe('assertRoundTrip', () => {
  it('passes a codec of the shape', () => {
    const decoded = assertRoundTrip(udpDatagram, fields);
    assert.equal(decoded.length, 18);
  });

  for (const [name, codec] of Object.entries(broken)) {
    it(`fails ${name}`, () => {
      // An assertion of the helper, or the decoder itself rejecting the bytes it was pointed at.
      assert.throws(() => assertRoundTrip(codec, fields));
    });
  }
});
