import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEFAULT_DNS,
  DEFAULT_HISTOGRAM_BUCKETS,
  DEFAULT_PING,
  defaultCardinalityLimit,
  parseConfig,
  type TargetConfig,
} from '../../../exporter/config';

const targets = (count: number, family: TargetConfig['family']): TargetConfig[] =>
  Array.from({ length: count }, (_, index) => ({ name: `t${index}`, host: 'h.example', family, labels: {} }));

describe('defaults', () => {
  it('are the documented values', () => {
    assert.deepEqual(DEFAULT_PING, { interval: 1, timeout: 1, size: 56, window: 60 });
    assert.deepEqual(DEFAULT_DNS, { refresh: 300, retryMin: 1, retryMax: 300 });
  });

  it('buckets double from 100 µs to 6.5536 s', () => {
    assert.equal(DEFAULT_HISTOGRAM_BUCKETS.length, 17);
    assert.equal(DEFAULT_HISTOGRAM_BUCKETS[0], 0.0001);
    assert.equal(DEFAULT_HISTOGRAM_BUCKETS[16], 6.5536);
    DEFAULT_HISTOGRAM_BUCKETS.forEach((bucket, k) => assert.ok(Math.abs(bucket - 0.0001 * 2 ** k) < 1e-15));
  });

  it('are frozen', () => {
    assert.ok(Object.isFrozen(DEFAULT_PING));
    assert.ok(Object.isFrozen(DEFAULT_DNS));
    assert.ok(Object.isFrozen(DEFAULT_HISTOGRAM_BUCKETS));
  });
});

describe('defaultCardinalityLimit', () => {
  it('is at least 2000', () => {
    assert.equal(defaultCardinalityLimit([]), 2000);
    assert.equal(defaultCardinalityLimit(targets(475, 'auto')), 2000);
  });

  it('grows by 4 per address probed, 2 addresses for dual, plus 100', () => {
    assert.equal(defaultCardinalityLimit(targets(476, 'ipv4')), 2004);
    assert.equal(defaultCardinalityLimit(targets(1000, 'auto')), 4100);
    assert.equal(defaultCardinalityLimit(targets(1000, 'dual')), 8100);
    assert.equal(defaultCardinalityLimit([...targets(500, 'ipv6'), ...targets(500, 'dual')]), 6100);
  });

  it('is what parseConfig uses when cardinality_limit is not set', () => {
    const lines = Array.from(
      { length: 600 },
      (_, i) => `  - { name: t${i}, host: h${i}.example, family: dual, ping: {} }`,
    );
    assert.equal(parseConfig(`targets:\n${lines.join('\n')}\n`, 'c.yaml').cardinalityLimit, 4900);
  });
});
