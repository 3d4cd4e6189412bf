import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Config, TargetConfig } from '../../../exporter/config';
import { joinConfig, splitConfig } from '../../../exporter/config/config-transfer';
import { DEFAULT_PING, parseConfig } from '../../../exporter/config';

/** A seeded linear congruential generator: the same configs on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function config(targets: TargetConfig[]): Config {
  return {
    file: 'transfer.yaml',
    bind: { ipv4: '192.0.2.1' },
    histogramBuckets: [0.001, 0.01],
    cardinalityLimit: 2000,
    dns: { refresh: 60, retryMin: 1, retryMax: 30 },
    targets,
    otlp: { headers: { a: 'b' }, resourceAttributes: {} },
  };
}

function targets(count: number, next: () => number): TargetConfig[] {
  return Array.from({ length: count }, (_, i): TargetConfig => ({
    name: `t${i}`,
    host: `10.0.${i >> 8}.${i & 255}`,
    family: next() < 0.5 ? 'auto' : 'dual',
    labels: next() < 0.5 ? {} : ({ site: `s${Math.floor(next() * 5)}` } as Record<string, string>),
    ...(next() < 0.8 && { ping: { ...DEFAULT_PING, size: 8 + Math.floor(next() * 100) } }),
    ...(next() < 0.3 && { knock: [{ port: 443, interval: 5, timeout: 1, window: 60 }] }),
  }));
}

describe('config transfer (splitConfig, joinConfig)', () => {
  it('round-trips configs of 0 to 1,100 targets exactly, whatever the part size (seeded)', async () => {
    const next = random(7);
    for (const count of [0, 1, 2, 499, 500, 501, 1100]) {
      for (const perPart of [1, 3, 500]) {
        const original = config(targets(count, next));
        const { config: copy } = await joinConfig(splitConfig(original, perPart));
        assert.deepStrictEqual(copy, original, `${count} targets, ${perPart} per part`);
        assert.deepEqual(Object.keys(copy), Object.keys(original), 'keys in the same order');
      }
    }
  });

  it('keeps what JSON would lose: undefined-valued keys, -0, sparse values', async () => {
    const odd = { ...config(targets(2, random(1))), extra: { u: undefined, z: -0 } } as unknown as Config;
    const { config: copy } = await joinConfig(splitConfig(odd));
    assert.deepStrictEqual(copy, odd);
    assert.ok(Object.hasOwn((copy as unknown as { extra: object }).extra, 'u'));
  });

  it('deep-freezes the result', async () => {
    const { config: copy } = await joinConfig(splitConfig(config(targets(3, random(2)))));
    assert.ok(Object.isFrozen(copy) && Object.isFrozen(copy.targets) && Object.isFrozen(copy.bind));
    assert.ok(copy.targets.every((t) => Object.isFrozen(t) && Object.isFrozen(t.labels)));
    assert.ok(Object.isFrozen(copy.otlp?.headers));
  });

  it('decodes one part per turn of the event loop', async () => {
    let turns = 0;
    const count = (): void => {
      turns++;
      if (!done) setImmediate(count);
    };
    let done = false;
    setImmediate(count);
    await joinConfig(splitConfig(config(targets(10, random(3))), 2));
    done = true;
    assert.ok(turns >= 5, `${turns} turns for 5 parts`);
  });

  it('reuses the known objects of targets whose encoding is unchanged', async () => {
    const before = parseConfig(
      'targets:\n  - { name: a, host: 192.0.2.1, ping: {} }\n  - { name: b, host: 192.0.2.2, ping: {} }\n',
      'f',
    );
    const after = parseConfig(
      'targets:\n  - { name: a, host: 192.0.2.1, ping: {} }\n  - { name: b, host: 192.0.2.3, ping: {} }\n',
      'f',
    );
    const first = await joinConfig(splitConfig(before));
    const second = await joinConfig(splitConfig(after), first.known);
    assert.deepStrictEqual(second.config, after);
    assert.equal(second.config.targets[0], first.config.targets[0]);
    assert.notEqual(second.config.targets[1], first.config.targets[1]);
    assert.deepEqual([...second.known.values()], second.config.targets, 'known: this config targets only');
  });
});
