import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEFAULT_DNS,
  DEFAULT_HISTOGRAM_BUCKETS,
  DEFAULT_KNOCK,
  DEFAULT_PING,
  DEFAULT_TRACE,
  DEFAULT_TRACE_BUDGET,
  DEFAULT_TRACE_PORTS,
  defaultCardinalityLimit,
  parseConfig,
  type TargetConfig,
} from '../../../exporter/config';
import { LINUX_ICMP_LIMITS } from '../../../probes';

const targets = (
  count: number,
  family: TargetConfig['family'],
  probes: Partial<TargetConfig> = { ping: DEFAULT_PING },
): TargetConfig[] =>
  Array.from({ length: count }, (_, index) => ({
    name: `t${index}`,
    host: 'h.example',
    family,
    labels: {},
    ...probes,
  }));

const knock = (...ports: number[]): Partial<TargetConfig> => ({
  knock: ports.map((port) => ({ port, ...DEFAULT_KNOCK })),
});
const trace = (maxHops: number, maxHopAddresses: number): Partial<TargetConfig> => ({
  trace: { ...DEFAULT_TRACE, port: 33434, maxHops, maxHopAddresses },
});

describe('defaults', () => {
  it('are the documented values', () => {
    assert.deepEqual(DEFAULT_PING, { interval: 1, timeout: 1, size: 56, window: 60 });
    assert.deepEqual(DEFAULT_DNS, { refresh: 300, retryMin: 1, retryMax: 300 });
    assert.deepEqual(DEFAULT_KNOCK, { interval: 5, timeout: 1, window: 60 });
    assert.deepEqual(DEFAULT_TRACE, {
      protocol: 'udp',
      interval: 60,
      timeout: 1,
      maxHops: 30,
      confidence: 0.95,
      maxFlows: 128,
      probes: 3,
      maxSilentHops: 5,
      maxHopAddresses: 64,
      pacing: 0.5,
    });
    assert.deepEqual(DEFAULT_TRACE_PORTS, { udp: 33434, tcp: 443, icmp: 0 });
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
    assert.ok(Object.isFrozen(DEFAULT_KNOCK));
    assert.ok(Object.isFrozen(DEFAULT_TRACE));
    assert.ok(Object.isFrozen(DEFAULT_TRACE_PORTS));
    assert.ok(Object.isFrozen(DEFAULT_HISTOGRAM_BUCKETS));
  });
});

describe('defaultCardinalityLimit', () => {
  it('is at least 2000', () => {
    assert.equal(defaultCardinalityLimit([]), 2000);
    assert.equal(defaultCardinalityLimit(targets(380, 'auto')), 2000);
  });

  it('grows by 5 per address probed, 2 addresses for dual, plus 100', () => {
    assert.equal(defaultCardinalityLimit(targets(381, 'ipv4')), 2005);
    assert.equal(defaultCardinalityLimit(targets(1000, 'auto')), 5100);
    assert.equal(defaultCardinalityLimit(targets(1000, 'dual')), 10100);
    assert.equal(defaultCardinalityLimit([...targets(500, 'ipv6'), ...targets(500, 'dual')]), 7600);
  });

  it('grows by 5 per knocked port of each address', () => {
    assert.equal(defaultCardinalityLimit(targets(1000, 'auto', knock(443))), 5100);
    assert.equal(defaultCardinalityLimit(targets(1000, 'auto', knock(22, 80, 443))), 15100);
    assert.equal(
      defaultCardinalityLimit(targets(1000, 'dual', { ...knock(80, 443), ping: DEFAULT_PING })),
      30100,
    );
  });

  it('grows by 5 + max_hops × max_hop_addresses per traced address', () => {
    assert.equal(defaultCardinalityLimit(targets(1, 'auto', trace(30, 64))), 2025);
    assert.equal(defaultCardinalityLimit(targets(10, 'auto', trace(30, 64))), 100 + 10 * 1925);
    assert.equal(defaultCardinalityLimit(targets(10, 'dual', trace(10, 100))), 100 + 20 * 1005);
    assert.equal(defaultCardinalityLimit(targets(500, 'auto', trace(1, 1))), 3100);
  });

  it('adds up the probes of a target', () => {
    const all = { ping: DEFAULT_PING, ...knock(80, 443), ...trace(20, 50) };
    assert.equal(defaultCardinalityLimit(targets(3, 'dual', all)), 100 + 6 * (5 + 10 + 5 + 1000));
  });

  it('is what parseConfig uses when cardinality_limit is not set', () => {
    const lines = Array.from(
      { length: 600 },
      (_, i) => `  - { name: t${i}, host: h${i}.example, family: dual, ping: {} }`,
    );
    assert.equal(parseConfig(`targets:\n${lines.join('\n')}\n`, 'c.yaml').cardinalityLimit, 6100);
  });

  it("trace_budget's defaults are the library's Linux limits (the config is read where the probes are not loaded)", () => {
    assert.deepEqual(DEFAULT_TRACE_BUDGET, { burst: 6, perSecond: 1 });
    assert.deepEqual(DEFAULT_TRACE_BUDGET, LINUX_ICMP_LIMITS);
  });
});
