import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkHolders, ChunkPool, TextChunks } from '../../../exporter/metrics/text-chunks';

describe('TextChunks', () => {
  it('hands over chunks of at most its size that join to the text, multi-byte characters whole', () => {
    const chunks: Buffer[] = [];
    const text = new TextChunks((chunk) => chunks.push(Buffer.from(chunk)), new ChunkPool(64));
    const pieces = ['abc\n', 'é€😀\n', 'x'.repeat(30), 'y'.repeat(100), '', 'z'.repeat(21), 'ü'];
    for (const piece of pieces) text.add(piece);
    text.flush();
    text.flush(); // nothing held: nothing handed over
    assert.equal(Buffer.concat(chunks).toString('utf8'), pieces.join(''));
    // the 100-character piece goes out alone; every other chunk fits the size
    assert.deepEqual(
      chunks.map((c) => c.length),
      [4 + 10, 30, 100, 21 + 2],
    );
  });

  it('does not write over a chunk until it is released, then reuses it', () => {
    const pool = new ChunkPool(16);
    const held: Array<{ chunk: Buffer; release: () => void }> = [];
    const text = new TextChunks((chunk, release) => held.push({ chunk, release }), pool);
    text.add('aaaa');
    text.add('b'.repeat(5)); // 4 + 15 > 16: 'aaaa' goes out first
    text.add('c'.repeat(5));
    text.flush();
    assert.deepEqual(
      held.map((h) => h.chunk.toString()),
      ['aaaa', 'bbbbb', 'ccccc'],
    );
    assert.equal(pool.available, 0);
    const first = held[0]!;
    first.release();
    first.release(); // once only: the pool must not hand the same chunk out twice
    assert.equal(pool.available, 1);
    // the chunk being filled was taken before the release; the released one comes next
    text.add('d'.repeat(5));
    text.flush();
    text.add('e'.repeat(5));
    text.flush();
    const reused = held[4]!;
    assert.equal(reused.chunk.buffer, first.chunk.buffer);
    assert.equal(reused.chunk.toString(), 'eeeee');
    assert.deepEqual(
      held.slice(1, 4).map((h) => h.chunk.toString()),
      ['bbbbb', 'ccccc', 'ddddd'],
    );
    assert.equal(pool.available, 0);
    text.close();
    assert.equal(pool.available, 1); // the chunk being filled
  });
});

describe('TextChunks.reserve', () => {
  it('places reserved bytes in order with the text, one larger than a chunk whole in a buffer of its own', () => {
    const pool = new ChunkPool(16);
    const held: Array<{ chunk: Buffer; release: () => void }> = [];
    const text = new TextChunks((chunk, release) => held.push({ chunk: Buffer.from(chunk), release }), pool);
    const write = (bytes: string): void => {
      const buffer = text.reserve(bytes.length);
      buffer.write(bytes, text.reservedAt, 'latin1');
    };
    text.add('ab');
    write('cdef'); // fits after 'ab'
    write('g'.repeat(12)); // 6 + 12 > 16: the first chunk goes out
    write('h'.repeat(40)); // more than a chunk: alone
    text.addBytes(Buffer.from('ij'));
    text.add('k');
    text.close();
    assert.deepEqual(
      held.map((h) => h.chunk.toString('latin1')),
      ['abcdef', 'g'.repeat(12), 'h'.repeat(40), 'ijk'],
    );
    for (const { release } of held) release();
    // Every chunk of the pool came back (four were taken in turn), and not the 40 bytes' own buffer.
    assert.equal(pool.available, 4);
    const back = [pool.take(), pool.take(), pool.take(), pool.take()];
    assert.ok(back.every((chunk) => chunk.length === 16));
  });
});

describe('ChunkPool', () => {
  it('keeps at most `keep` chunks, and only chunks of its size', () => {
    const pool = new ChunkPool(8, 2);
    const chunks = [pool.take(), pool.take(), pool.take()];
    for (const chunk of chunks) pool.give(chunk);
    assert.equal(pool.available, 2);
    pool.take();
    pool.give(Buffer.alloc(4));
    assert.equal(pool.available, 1);
  });
});

describe('ChunkHolders', () => {
  it('returns a chunk sent to several responses once the last one let go, and only once', () => {
    const pool = new ChunkPool(16);
    const chunk = pool.take();
    const holders = new ChunkHolders(() => pool.give(chunk));
    const first = holders.hold();
    const second = holders.hold();
    first();
    first(); // a holder lets go once, however often it says so
    assert.equal(pool.available, 0, 'the second response still holds it');
    holders.seal();
    assert.equal(pool.available, 0);
    second();
    assert.equal(pool.available, 1);
    holders.seal();
    second();
    assert.equal(pool.available, 1, 'never twice in the pool');
  });

  it('holds a chunk until sealed: no release while it is still being handed out', () => {
    let released = 0;
    const holders = new ChunkHolders(() => released++);
    holders.hold()(); // the first response sent it before the second was given it
    assert.equal(released, 0);
    const second = holders.hold();
    holders.seal();
    assert.equal(released, 0);
    second();
    assert.equal(released, 1);
    const none = new ChunkHolders(() => released++);
    none.seal(); // nobody took it: straight back
    assert.equal(released, 2);
  });
});
