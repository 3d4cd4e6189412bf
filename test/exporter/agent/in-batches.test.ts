import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { diffConfigInBatches, forEachInBatches } from '../../../exporter/agent/in-batches';
import { DEFAULT_PING, diffConfig, type Config, type TargetConfig } from '../../../exporter/config';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const target = (name: string, interval: number): TargetConfig => ({
  name,
  host: '192.0.2.1',
  family: 'auto',
  labels: {},
  ping: { ...DEFAULT_PING, interval },
});

function config(targets: TargetConfig[], parts: Partial<Config> = {}): Config {
  return {
    file: 'batches.yaml',
    bind: {},
    histogramBuckets: [0.001, 0.01],
    cardinalityLimit: 2000,
    dns: { refresh: 60, retryMin: 1, retryMax: 30 },
    targets,
    ...parts,
  };
}

/** A random target list over names n0..n39: each name absent or present with one of two settings, shuffled. */
function randomTargets(next: () => number): TargetConfig[] {
  const list: TargetConfig[] = [];
  for (let i = 0; i < 40; i++) if (next() < 0.7) list.push(target(`n${i}`, next() < 0.5 ? 1 : 2));
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

describe('diffConfigInBatches', () => {
  it('equals diffConfig (same lists, same order) on 200 random config pairs, every batch size (seeded)', async () => {
    const next = random(11);
    for (let round = 0; round < 200; round++) {
      const before = config(randomTargets(next), { cardinalityLimit: 2000 });
      const after = config(randomTargets(next), {
        cardinalityLimit: next() < 0.2 ? 3000 : 2000,
        ...(next() < 0.2 && { dns: { refresh: 30, retryMin: 1, retryMax: 30 } }),
      });
      const expected = diffConfig(before, after);
      for (const batch of [1, 3, 16, 1000]) {
        assert.deepStrictEqual(
          await diffConfigInBatches(before, after, batch),
          expected,
          `round ${round}, batch ${batch}`,
        );
      }
    }
  });

  it('keeps the instances of after, as diffConfig does', async () => {
    const before = config([target('a', 1), target('b', 1)]);
    const after = config([target('a', 1), target('b', 2), target('c', 1)]);
    const diff = await diffConfigInBatches(before, after, 1);
    assert.equal(diff.unchanged[0], after.targets[0]);
    assert.equal(diff.changed[0]?.before, before.targets[1]);
    assert.equal(diff.changed[0]?.after, after.targets[1]);
    assert.equal(diff.added[0], after.targets[2]);
  });
});

describe('forEachInBatches', () => {
  it('visits every item in order, yielding a turn of the event loop between batches', async () => {
    const seen: string[] = [];
    const items = Array.from({ length: 7 }, (_, i) => i);
    setImmediate(() => seen.push('turn'));
    await forEachInBatches(items, 3, (item) => seen.push(String(item)));
    assert.deepEqual(seen, ['0', '1', '2', 'turn', '3', '4', '5', '6']);
  });
});
