import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  type Config,
  DEFAULT_DNS,
  DEFAULT_HISTOGRAM_BUCKETS,
  DEFAULT_KNOCK,
  DEFAULT_NATIVE_HISTOGRAMS,
  DEFAULT_PING,
  DEFAULT_TRACE,
  type KnockProbeConfig,
  loadConfig,
  type TargetConfig,
  type TraceProbeConfig,
} from '../../../exporter/config';
import { fixturePath, repoRoot } from './fixture-paths';

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

/** A target without ping: only the probes in `parts`. */
const without = (name: string, host: string, parts: Partial<TargetConfig>): TargetConfig => ({
  name,
  host,
  family: 'auto',
  labels: {},
  ...parts,
});

const knock = (port: number, parts: Partial<KnockProbeConfig> = {}): KnockProbeConfig => ({
  port,
  ...DEFAULT_KNOCK,
  ...parts,
});

const trace = (parts: Partial<TraceProbeConfig> = {}): TraceProbeConfig => ({
  ...DEFAULT_TRACE,
  port: 33434,
  ...parts,
});

/** defaultCardinalityLimit: per address 5 for ping, 5 per knock port, 5 + max_hops × max_hop_addresses for trace. */
const TRACE_SERIES = 5 + 30 * 64;

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
  'overlapping-timeout': {
    targets: [
      target('satellite', '10.0.6.2', { ping: { ...DEFAULT_PING, interval: 0.2, timeout: 1 } }),
      without('edge', '10.0.6.3', { knock: [{ ...DEFAULT_KNOCK, port: 443, interval: 1, timeout: 3 }] }),
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
  'knock-single': {
    targets: [
      without('web', '10.0.6.80', { knock: [knock(443)] }),
      target('ssh', '10.0.6.22', { knock: [{ port: 22, interval: 10, timeout: 2, window: 300 }] }),
    ],
  },
  'knock-list': {
    targets: [
      without('web', '10.0.6.80', {
        family: 'ipv4',
        knock: [knock(80, { interval: 1, window: 30 }), knock(443, { timeout: 0.5 }), knock(8443)],
      }),
    ],
  },
  'knock-defaults': {
    targets: [
      without('a', '10.0.6.2', { knock: [knock(443, { interval: 2, timeout: 0.5 })] }),
      without('b', '10.0.6.3', { knock: [knock(443, { interval: 2, timeout: 0.5 })] }),
      without('c', '10.0.6.4', {
        knock: [
          knock(80, { interval: 2, timeout: 0.5 }),
          knock(443, { interval: 2, timeout: 0.5, window: 120 }),
          knock(8080, { interval: 0.25, timeout: 0.25 }),
        ],
      }),
    ],
  },
  'trace-protocols': {
    cardinalityLimit: 100 + 4 * TRACE_SERIES + (5 + 16 * 128),
    targets: [
      without('udp', '10.0.6.2', { trace: trace() }),
      without('tcp', '10.0.6.3', { trace: trace({ protocol: 'tcp', port: 443 }) }),
      without('icmp', '10.0.6.4', { trace: trace({ protocol: 'icmp', port: 0 }) }),
      without('dns', '10.0.6.53', { trace: trace({ port: 53 }) }),
      without('every-key', '10.0.6.5', {
        trace: {
          protocol: 'tcp',
          port: 8443,
          interval: 30,
          timeout: 2,
          maxHops: 16,
          flows: 4,
          confidence: 0.95,
          maxFlows: 128,
          probes: 1,
          maxSilentHops: 3,
          maxHopAddresses: 128,
          pacing: 0.5,
        },
      }),
    ],
  },
  'trace-defaults': {
    cardinalityLimit: 100 + 4 * TRACE_SERIES + (5 + 8 * 64),
    targets: [
      without('inherits', '10.0.6.2', {
        trace: trace({ protocol: 'tcp', port: 8443, interval: 120, timeout: 2, flows: 16 }),
      }),
      without('udp', '10.0.6.3', {
        trace: trace({ protocol: 'udp', port: 33434, interval: 120, timeout: 2, flows: 16 }),
      }),
      without('icmp', '10.0.6.4', {
        trace: trace({ protocol: 'icmp', port: 0, interval: 120, timeout: 2, flows: 16 }),
      }),
      without('own-port', '10.0.6.5', {
        trace: trace({ protocol: 'tcp', port: 9443, interval: 120, timeout: 2, flows: 16, maxHops: 8 }),
      }),
      without('fast', '10.0.6.6', {
        trace: trace({ protocol: 'tcp', port: 8443, interval: 1, timeout: 1, flows: 16 }),
      }),
    ],
  },
  'trace-mda': {
    cardinalityLimit: 100 + 2 * TRACE_SERIES,
    targets: [
      without('fixed', '10.0.6.2', { trace: trace({ flows: 16, probes: 2 }) }),
      without('mda', '10.0.6.3', { trace: trace({ probes: 2, confidence: 0.99, maxFlows: 256 }) }),
    ],
  },
  'trace-mda-defaults': {
    cardinalityLimit: 100 + 2 * TRACE_SERIES,
    targets: [
      without('mda', '10.0.6.2', { trace: trace({ confidence: 0.9, maxFlows: 64 }) }),
      without('fixed', '10.0.6.3', { trace: trace({ flows: 4, confidence: 0.9, maxFlows: 64 }) }),
    ],
  },
  'trace-pacing': {
    cardinalityLimit: 100 + 2 * TRACE_SERIES,
    traceBudget: { burst: 3, perSecond: 0.5 },
    targets: [
      without('paced', '10.0.6.2', { trace: trace({ pacing: 0.25 }) }),
      without('bursts', '10.0.6.3', { trace: trace({ pacing: 0 }) }),
    ],
  },
  'all-probes': {
    cardinalityLimit: 100 + 2 * (5 + 2 * 5 + 5 + 20 * 100),
    targets: [
      target('website', 'www.example.com', {
        family: 'dual',
        labels: { site: 'ams' },
        knock: [knock(80), knock(443)],
        trace: trace({ protocol: 'tcp', port: 443, maxHops: 20, maxHopAddresses: 100 }),
      }),
    ],
  },
  otlp: {
    otlp: {
      endpoint: 'http://collector.observability:4318/v1/metrics',
      interval: 15,
      timeout: 5,
      headers: { authorization: 'Bearer 0123', 'X-Scope-OrgID': 'tenant-1' },
      resourceAttributes: { site: 'ams', 'deployment.environment': 'production', rack: '01' },
    },
    targets: [target('gateway', '10.0.6.2')],
  },
  'otlp-empty': {
    otlp: { headers: {}, resourceAttributes: {} },
    targets: [target('gateway', '10.0.6.2')],
  },
  'native-histograms': {
    nativeHistograms: {
      enabled: true,
      bucketFactor: 1.05,
      maxBucketCount: 100,
      minResetDuration: 3600,
      classicBucketsInProtobuf: true,
    },
  },
  'native-histograms-off': { nativeHistograms: { ...DEFAULT_NATIVE_HISTOGRAMS, enabled: false } },
  'otlp-endpoint-path': {
    otlp: { endpoint: 'https://otlp.example.com/otlp/v1/metrics', headers: {}, resourceAttributes: {} },
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

  it('config.example.yaml knocks loopback ports 9 (closed) and 9469 (the exporter) and traces ::1 over ICMP', async () => {
    const config = await loadConfig(path.join(repoRoot, 'config.example.yaml'));
    const byName = new Map(config.targets.map((target) => [target.name, target]));
    assert.equal(byName.get('loopback-v4')?.host, '127.0.0.1');
    assert.deepEqual(byName.get('loopback-v4')?.knock, [knock(9), knock(9469)]);
    assert.equal(byName.get('loopback-v6')?.host, '::1');
    assert.deepEqual(
      byName.get('loopback-v6')?.trace,
      trace({ protocol: 'icmp', port: 0, interval: 30, maxHops: 4 }),
    );
    for (const target of config.targets) assert.match(target.host, /^(127\.0\.0\.1|::1|localhost)$/);
  });

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
