import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TextChunks } from '../../../exporter/metrics/text-chunks';

describe('TextChunks', () => {
  it('hands over chunks of at most its size that join to the text, multi-byte characters whole', () => {
    const chunks: Buffer[] = [];
    const text = new TextChunks((chunk) => chunks.push(Buffer.from(chunk)), 64);
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

  it('gives each chunk its own memory: a chunk handed over is not overwritten by later text', () => {
    const chunks: Buffer[] = [];
    const text = new TextChunks((chunk) => chunks.push(chunk), 16);
    text.add('aaaa');
    text.add('b'.repeat(5)); // 4 + 15 > 16: 'aaaa' goes out first
    text.add('c'.repeat(5));
    text.flush();
    assert.deepEqual(
      chunks.map((c) => c.toString()),
      ['aaaa', 'bbbbb', 'ccccc'],
    );
  });
});
