import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeError } from '../../../probes';
import { EchoIdentifiers, type EchoPair } from '../../../probes/ping/echo-identifiers';
import { IdentifierPool } from '../../../probes/socket';

/** The socket's probe table as EchoIdentifiers sees it: a pair is refused while it is in flight. */
class Table {
  readonly inFlight = new Set<number>();
  readonly register = (pair: EchoPair): boolean => {
    const key = pair.identifier * 0x10000 + pair.sequence;
    if (this.inFlight.has(key)) return false;
    this.inFlight.add(key);
    return true;
  };
  settle(pair: EchoPair, identifiers: EchoIdentifiers): void {
    assert.ok(this.inFlight.delete(pair.identifier * 0x10000 + pair.sequence), 'settled once');
    identifiers.settled();
  }
}

const request = (): EchoPair => ({ identifier: -1, sequence: -1 });

describe('EchoIdentifiers: few identifiers, sequences across sessions', () => {
  it('10,000 sessions with 3 requests each in flight: one identifier, no two requests on one pair', () => {
    const pool = new IdentifierPool();
    const identifiers = new EchoIdentifiers(pool, () => 0xfff0);
    const table = new Table();
    for (let s = 0; s < 10_000; s++) identifiers.join();
    const sent: EchoPair[] = [];
    for (let round = 0; round < 3; round++) {
      for (let s = 0; s < 10_000; s++) {
        const pair = request();
        assert.ok(identifiers.assign(pair, table.register));
        sent.push(pair);
      }
    }
    assert.equal(identifiers.size, 1);
    assert.equal(pool.size, 1, 'one identifier taken from the family');
    assert.equal(new Set(sent.map((p) => p.identifier)).size, 1);
    assert.equal(table.inFlight.size, 30_000, 'every (identifier, sequence) distinct');
    // Consecutive across sessions, wrapping past 0xffff to 0 from the random start.
    assert.deepEqual(
      sent.slice(14, 18).map((p) => p.sequence),
      [0xfffe, 0xffff, 0, 1],
    );
  });

  it('skips a pair whose request is still in flight when the cycle comes round again', () => {
    const pool = new IdentifierPool();
    const identifiers = new EchoIdentifiers(pool);
    const table = new Table();
    identifiers.join();
    // One request that never settles (a long timeout), then a whole cycle of requests that do.
    const stuck = request();
    identifiers.assign(stuck, table.register);
    assert.equal(stuck.sequence, 0);
    for (let i = 1; i < 0x10000; i++) {
      const pair = request();
      assert.ok(identifiers.assign(pair, table.register));
      assert.equal(pair.sequence, i);
      table.settle(pair, identifiers);
    }
    const next = request();
    assert.ok(identifiers.assign(next, table.register));
    assert.deepEqual(next, { identifier: stuck.identifier, sequence: 1 }, 'sequence 0 is still in flight');
  });

  it('grows by one identifier as soon as the requests in flight would pass half of the pairs held', () => {
    const pool = new IdentifierPool();
    const identifiers = new EchoIdentifiers(pool);
    const table = new Table();
    identifiers.join();
    const sizes: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      assert.ok(identifiers.assign(request(), table.register));
      sizes.push(identifiers.size);
      assert.ok(identifiers.pending * 2 <= identifiers.size * 0x10000, `at ${i}`);
    }
    // 32,768 in flight fill half of one identifier's pairs; the 32,769th needs a second.
    assert.equal(sizes[32_767], 1);
    assert.equal(sizes[32_768], 2);
    assert.equal(identifiers.size, Math.ceil((2 * 100_000) / 0x10000));
    assert.equal(table.inFlight.size, 100_000, 'no pair given twice');
    assert.equal(pool.size, identifiers.size);
  });

  it('gives every identifier back when the last session leaves; refuses when the family has none left', () => {
    const pool = new IdentifierPool();
    const identifiers = new EchoIdentifiers(pool);
    const table = new Table();
    identifiers.join();
    identifiers.join();
    const pair = request();
    identifiers.assign(pair, table.register);
    table.settle(pair, identifiers);
    identifiers.leave();
    assert.equal(pool.size, 1, 'one session still uses it');
    identifiers.leave();
    assert.equal(pool.size, 0);
    identifiers.leave();
    assert.equal(pool.size, 0, 'an extra leave() changes nothing');

    for (let i = 0; i < 0x10000; i++) pool.allocate();
    identifiers.join();
    assert.throws(
      () => identifiers.assign(request(), table.register),
      (e) => e instanceof ProbeError && e.code === 'ERR_IDENTIFIERS_EXHAUSTED',
    );
  });

  it('says false, not a duplicate pair, when every pair tried is in flight', () => {
    const pool = new IdentifierPool();
    const identifiers = new EchoIdentifiers(pool);
    identifiers.join();
    assert.equal(
      identifiers.assign(request(), () => false),
      false,
    );
  });
});
