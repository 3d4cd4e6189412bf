import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedResponders, routerKeys } from '../../../../probes/trace/pacing/expected-responders';
import { interleaveByTtl } from '../../../../probes/trace/pacing/interleave';
import { mergedView, type PathView } from '../../../../probes/trace/pacing/path-view';

/** The MDA lab's shape: r1, a 4-way split, r2a splitting again, r3c and r4 answering from each inbound link. */
const KNOWN: Array<Array<string | null>> = [
  ['r1', 'r2a', 'r3a@r2a', 'r4@r3a', 'dst'],
  ['r1', 'r2a', 'r3b@r2a', 'r4@r3b', 'dst'],
  ['r1', 'r2b', 'r3c@r2b', 'r4@r3c', 'dst'],
  [null, 'r2c', 'r3c@r2c', 'r4@r3c', 'dst'],
  [null, 'r2d', 'r3c@r2d', 'r4@r3c', null],
];

const unknown = (before: string | null): string => `?behind ${before}`;

const shares = (view: PathView, flow: number, ttl: number): Record<string, number> =>
  Object.fromEntries(expectedResponders(view, flow, ttl, unknown));

const nothingNow = { flows: 0, lastHop: () => 0, at: () => undefined };

describe('expected responders and router keys', () => {
  const view = mergedView(1, KNOWN, nothingNow);

  it('takes the addresses one hop leads to one same next address from for one router (answers from the inbound link)', () => {
    const keys = routerKeys(view);
    assert.equal(keys.get('r3c@r2c'), 'r3c@r2b');
    assert.equal(keys.get('r3c@r2d'), 'r3c@r2b');
    assert.equal(keys.get('r4@r3a'), 'r4@r3a');
    assert.equal(keys.get('r4@r3c'), 'r4@r3a', 'r4 from its three links is one router');
    assert.notEqual(keys.get('r3a@r2a'), keys.get('r3b@r2a'), 'r3a and r3b lead to different addresses');
    assert.notEqual(keys.get('r2b'), keys.get('r2c'));
  });

  it('expects what the same flow met, else the next hops of its hop before, else every responder of the TTL, else the unknown key', () => {
    assert.deepEqual(shares(view, 2, 3), { 'r3c@r2b': 1 });
    assert.deepEqual(shares(view, 3, 1), { r1: 1 }, 'one router at the TTL');
    assert.deepEqual(shares(view, 4, 4), { 'r4@r3a': 1 }, 'r4 keyed as one router');
    assert.deepEqual(
      shares(view, 9, 2),
      { r2a: 0.4, r2b: 0.2, r2c: 0.2, r2d: 0.2 },
      'a new flow behind the one router r1: any of four, as the known flows went',
    );
    assert.deepEqual(
      shares(view, 9, 3),
      { 'r3a@r2a': 1, 'r3b@r2a': 1, 'r3c@r2b': 1 },
      'behind four routers, a flow not seen before may reach any: a whole token at each',
    );
    assert.deepEqual(shares(view, 9, 7), { '?behind null': 1 });
    assert.deepEqual(shares(view, 0, 6), { '?behind dst': 1 }, 'nothing known behind it yet');
  });

  it("prefers this round's answers over the earlier round's", () => {
    const now = mergedView(1, KNOWN, {
      flows: 10,
      lastHop: () => 2,
      at: (flow, ttl) => (flow === 9 && ttl === 2 ? 'r2b' : undefined),
    });
    assert.deepEqual(shares(now, 9, 3), { 'r3c@r2b': 1 }, 'r2b led to r3c');
    assert.deepEqual(shares(now, 9, 2), { r2b: 1 });
    assert.deepEqual(
      Object.keys(shares(now, 8, 3)),
      ['r3a@r2a', 'r3b@r2a', 'r3c@r2b'],
      'flow 8 was not seen at TTL 2',
    );
  });

  it('interleaves TTLs: no two probes in a row at one hop while others remain', () => {
    const order = interleaveByTtl([
      { flow: 0, ttl: 1 },
      { flow: 1, ttl: 1 },
      { flow: 2, ttl: 1 },
      { flow: 0, ttl: 2 },
      { flow: 0, ttl: 3 },
      { flow: 1, ttl: 3 },
    ]);
    assert.deepEqual(
      order.map(({ flow, ttl }) => `${flow}@${ttl}`),
      ['0@1', '0@2', '0@3', '1@1', '1@3', '2@1'],
    );
  });
  it('takes the shares the unknown callback gives (routers learned elsewhere) where nothing is known', () => {
    const view = mergedView(1, [], { flows: 0, lastHop: () => 0, at: () => null });
    assert.deepEqual(
      Object.fromEntries(
        expectedResponders(
          view,
          0,
          1,
          () =>
            new Map([
              ['r1a', 0.5],
              ['r1b', 0.5],
            ]),
        ),
      ),
      { r1a: 0.5, r1b: 0.5 },
    );
  });
});
