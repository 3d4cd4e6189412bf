import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  type Config,
  DEFAULT_DNS,
  DEFAULT_HISTOGRAM_BUCKETS,
  DEFAULT_PING,
  loadConfig,
  type TargetConfig,
} from '../../../exporter/config';
import { fixturePath } from './fixture-paths';

/** A config of only defaults but for the given parts. */
function expectedConfig(file: string, parts: Partial<Config>): Config {
  return {
    file,
    bind: {},
    histogramBuckets: DEFAULT_HISTOGRAM_BUCKETS,
    cardinalityLimit: 2000,
    dns: DEFAULT_DNS,
    targets: [],
    ...parts,
  };
}

const target = (name: string, host: string, parts: Partial<TargetConfig> = {}): TargetConfig => ({
  name,
  host,
  family: 'auto',
  labels: {},
  ping: DEFAULT_PING,
  ...parts,
});

const EXPECTED: Record<string, Partial<Config>> = {
  minimal: { targets: [target('gateway', '10.0.6.2')] },
  'empty-targets': {},
  'no-targets-key': { dns: { ...DEFAULT_DNS, refresh: 600 } },
  'defaults-merge': {
    targets: [
      target('gateway', '10.0.6.2', { ping: { interval: 2, timeout: 1, size: 120, window: 60 } }),
      target('resolver', '10.0.6.53', { ping: { interval: 2, timeout: 1, size: 120, window: 60 } }),
      target('uplink', '198.51.100.1', { ping: { interval: 0.5, timeout: 0.25, size: 120, window: 90 } }),
    ],
  },
  'inherited-timeout': {
    targets: [
      target('fast', '10.0.6.2', { ping: { ...DEFAULT_PING, interval: 0.5, timeout: 0.5 } }),
      target('faster', '10.0.6.3', { ping: { ...DEFAULT_PING, interval: 0.2, timeout: 0.15 } }),
    ],
  },
  'dual-and-labels': {
    targets: [
      target('website', 'www.example.com.', {
        family: 'dual',
        labels: { site: 'ams', rack: '01', floor: '3', critical: 'true', ratio: '1.50' },
        ping: { ...DEFAULT_PING, window: 300 },
      }),
      target('v6-only', '2001:db8::53', { family: 'ipv6' }),
      target('by-name', 'resolver_1.internal', { family: 'ipv4' }),
    ],
  },
  full: {
    bind: { ipv4: '192.0.2.10', ipv6: '2001:db8::10', interface: 'eth0' },
    histogramBuckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    cardinalityLimit: 10000,
    dns: { refresh: 3600, retryMin: 0.5, retryMax: 60 },
    targets: [
      target('gateway', '10.0.6.2', {
        labels: { site: 'ams' },
        ping: { interval: 0.2, timeout: 0.2, size: 64, window: 60 },
      }),
    ],
  },
  aliases: {
    targets: [
      target('ams-1', '10.0.6.2', {
        labels: { site: 'ams', region: 'eu' },
        ping: { ...DEFAULT_PING, interval: 0.25, timeout: 0.25 },
      }),
      target('ams-2', '10.0.6.3', {
        labels: { site: 'ams', region: 'eu' },
        ping: { ...DEFAULT_PING, interval: 0.25, timeout: 0.25 },
      }),
    ],
  },
};

function assertDeepFrozen(value: unknown, path = 'config'): void {
  if (typeof value !== 'object' || value === null) return;
  assert.ok(Object.isFrozen(value), `${path} is frozen`);
  for (const [key, child] of Object.entries(value)) assertDeepFrozen(child, `${path}.${key}`);
}

describe('valid config fixtures', () => {
  for (const [name, parts] of Object.entries(EXPECTED)) {
    it(name, async () => {
      const file = fixturePath('valid', name);
      const config = await loadConfig(file);
      assert.deepEqual(config, expectedConfig(file, parts));
      assertDeepFrozen(config);
    });
  }

  it('throws on mutation, strict mode being on in modules compiled by tsc', async () => {
    const config = await loadConfig(fixturePath('valid', 'full'));
    const target = config.targets[0];
    assert.ok(target?.ping);
    assert.throws(() => ((config as { cardinalityLimit: number }).cardinalityLimit = 1), TypeError);
    assert.throws(() => ((target.ping as { interval: number }).interval = 5), TypeError);
    assert.throws(() => ((target.labels as Record<string, string>).site = 'fra'), TypeError);
    assert.throws(() => (config.targets as TargetConfig[]).push(target), TypeError);
    assert.throws(() => (config.histogramBuckets as number[]).sort(), TypeError);
    assert.throws(() => ((config.bind as { ipv4?: string }).ipv4 = '192.0.2.1'), TypeError);
  });
});
