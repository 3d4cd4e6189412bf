import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoWriter, varintSize, zigzag } from '../../../exporter/metrics/proto-writer';

/** Reads the varint at the start of `bytes`: [value, length]. */
function readVarint(bytes: Buffer): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < bytes.length; i++) {
    value += (bytes[i]! & 0x7f) * scale;
    if (bytes[i]! < 0x80) return [value, i + 1];
    scale *= 128;
  }
  throw new Error('unterminated varint');
}

describe('ProtoWriter', () => {
  it('writes varints of every size up to 2^53, in as many bytes as varintSize says', () => {
    const values = [0, 1, 127, 128, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28];
    values.push(
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 35,
      2 ** 42 + 5,
      2 ** 49,
      Number.MAX_SAFE_INTEGER,
    );
    for (const value of values) {
      const writer = new ProtoWriter(Buffer.alloc(16));
      writer.varint(value);
      assert.equal(writer.pos, varintSize(value), `size of ${value}`);
      assert.deepEqual(readVarint(writer.buffer), [value, writer.pos], `${value}`);
    }
    // Known encodings: 300 is ac 02; 2^53 - 1 takes 8 bytes.
    const writer = new ProtoWriter(Buffer.alloc(4));
    writer.varint(300);
    assert.deepEqual([...writer.buffer.subarray(0, writer.pos)], [0xac, 0x02]);
    assert.equal(varintSize(Number.MAX_SAFE_INTEGER), 8);
  });

  it('zigzags signed integers: 0, -1, 1, -2 to 0, 1, 2, 3', () => {
    assert.deepEqual([0, -1, 1, -2, 2, -64, 63].map(zigzag), [0, 1, 2, 3, 4, 127, 126]);
    assert.equal(zigzag(-(2 ** 40)), 2 ** 41 - 1);
  });

  it('writes tags, doubles and length prefixes as the wire format has them', () => {
    const writer = new ProtoWriter(Buffer.alloc(32));
    writer.doubleField(2, 0.5);
    writer.sintField(5, -3);
    writer.lengthPrefix(4, 200);
    assert.deepEqual(
      [...writer.buffer.subarray(0, writer.pos)],
      [0x11, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0x28, 0x05, 0x22, 0xc8, 0x01],
    );
  });
});
