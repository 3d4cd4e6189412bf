import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { agentResource, parseResourceAttributes } from '../../../exporter/cli/agent-resource';
import { resolveOtlpSettings } from '../../../exporter/cli/otlp-settings';
import { parseConfig, type OtlpConfig } from '../../../exporter/config';
import { ExporterError } from '../../../exporter/errors';
import { cliPath, repoRoot } from '../../support/paths';

const run = promisify(execFile);

const otlpOf = (yaml: string): OtlpConfig => {
  const otlp = parseConfig(yaml, 'config.yaml').otlp;
  assert.ok(otlp);
  return otlp;
};

const usage = (pattern: RegExp) => (error: unknown) =>
  error instanceof ExporterError && error.code === 'ERR_USAGE' && pattern.test(error.message);

describe('resolveOtlpSettings', () => {
  it('is off without an otlp block or an endpoint variable', () => {
    assert.equal(resolveOtlpSettings(undefined, {}), undefined);
    assert.equal(resolveOtlpSettings(undefined, { OTEL_METRIC_EXPORT_INTERVAL: '1000' }), undefined);
    assert.equal(resolveOtlpSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }), undefined);
  });

  it('uses the defaults for an empty block', () => {
    assert.deepEqual(resolveOtlpSettings(otlpOf('otlp:\n'), {}), {
      url: 'http://localhost:4318/v1/metrics',
      intervalMs: 60_000,
      timeoutMs: 10_000,
      headers: {},
      sources: { url: 'default', interval: 'default', timeout: 'default' },
      warnings: [],
    });
  });

  it('is turned on by OTEL_EXPORTER_OTLP_ENDPOINT, appending /v1/metrics to its path', () => {
    const settings = resolveOtlpSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    assert.equal(settings?.url, 'http://collector:4318/v1/metrics');
    assert.equal(settings?.sources.url, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    assert.equal(
      resolveOtlpSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example/otlp/' })?.url,
      'https://gw.example/otlp/v1/metrics',
    );
  });

  it('takes OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as is, over OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    const settings = resolveOtlpSettings(undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:9000/push',
    });
    assert.equal(settings?.url, 'http://metrics:9000/push');
  });

  it('prefers the config to the variables, setting by setting', () => {
    const env = {
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://env:4318/v1/metrics',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
    };
    const configured = resolveOtlpSettings(
      otlpOf('otlp: { endpoint: "http://config:4318", interval: 30s, timeout: 3s, headers: { a: b } }'),
      env,
    );
    assert.deepEqual(configured, {
      url: 'http://config:4318/v1/metrics',
      intervalMs: 30_000,
      timeoutMs: 3000,
      headers: { a: 'b' },
      sources: { url: 'config', interval: 'config', timeout: 'config' },
      warnings: [],
    });
    const fromEnv = resolveOtlpSettings(otlpOf('otlp: {}'), env);
    assert.equal(fromEnv?.url, 'http://env:4318/v1/metrics');
    assert.equal(fromEnv?.intervalMs, 5000);
    assert.equal(fromEnv?.timeoutMs, 2000);
    assert.deepEqual(fromEnv?.sources, {
      url: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
      interval: 'OTEL_METRIC_EXPORT_INTERVAL',
      timeout: 'OTEL_EXPORTER_OTLP_TIMEOUT',
    });
  });

  it('takes the first timeout variable set: METRIC_EXPORT, then OTLP_METRICS, then OTLP', () => {
    const timeout = (env: Record<string, string>) => resolveOtlpSettings(otlpOf('otlp:'), env)?.timeoutMs;
    assert.equal(
      timeout({ OTEL_EXPORTER_OTLP_TIMEOUT: '3000', OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '4000' }),
      4000,
    );
    assert.equal(
      timeout({ OTEL_METRIC_EXPORT_TIMEOUT: '5000', OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '4000' }),
      5000,
    );
  });

  it('caps the timeout at the interval, warning when the timeout was set', () => {
    const quiet = resolveOtlpSettings(otlpOf('otlp: { interval: 1s }'), {});
    assert.equal(quiet?.timeoutMs, 1000);
    assert.deepEqual(quiet?.warnings, []);
    const loud = resolveOtlpSettings(otlpOf('otlp: { interval: 1s }'), {
      OTEL_METRIC_EXPORT_TIMEOUT: '5000',
    });
    assert.equal(loud?.timeoutMs, 1000);
    assert.match(
      loud?.warnings[0] ?? '',
      /timeout 5000ms \(OTEL_METRIC_EXPORT_TIMEOUT\) exceeds the interval 1000ms/,
    );
  });

  it('warns that a grpc protocol variable is not supported, takes http/protobuf silently', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317' };
    assert.deepEqual(
      resolveOtlpSettings(undefined, { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })?.warnings,
      [],
    );
    assert.deepEqual(
      resolveOtlpSettings(undefined, { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })?.warnings,
      [
        'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: pushing OTLP/HTTP (JSON) to http://c:4317/v1/metrics',
      ],
    );
  });

  it('refuses invalid variables as usage errors naming them', () => {
    assert.throws(
      () => resolveOtlpSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }),
      usage(/^OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" is not an http:\/\/ or https:\/\/ URL$/),
    );
    assert.throws(
      () => resolveOtlpSettings(otlpOf('otlp:'), { OTEL_METRIC_EXPORT_INTERVAL: '1m' }),
      usage(/^OTEL_METRIC_EXPORT_INTERVAL: "1m" is not a number of milliseconds/),
    );
    assert.throws(
      () => resolveOtlpSettings(otlpOf('otlp:'), { OTEL_EXPORTER_OTLP_TIMEOUT: '0' }),
      usage(/^OTEL_EXPORTER_OTLP_TIMEOUT: "0" is not/),
    );
  });
});

describe('agentResource', () => {
  const base = { env: {}, hostname: 'node-7', version: '1.2.3' };

  it('names the agent: service name, version and instance (the host name)', () => {
    assert.deepEqual(agentResource(base), {
      'service.name': 'netdiag-exporter',
      'service.version': '1.2.3',
      'service.instance.id': 'node-7',
    });
  });

  it('takes the instance from POD_NAME, else HOSTNAME', () => {
    const id = (env: Record<string, string>) => agentResource({ ...base, env })['service.instance.id'];
    assert.equal(id({ HOSTNAME: 'netdiag-exporter-1' }), 'netdiag-exporter-1');
    assert.equal(id({ HOSTNAME: 'h', POD_NAME: 'netdiag-exporter-2' }), 'netdiag-exporter-2');
  });

  it('layers OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, the config, then the shard', () => {
    const resource = agentResource({
      ...base,
      env: {
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,site=fra,team=net%2Cops, region = eu ',
        OTEL_SERVICE_NAME: 'probes',
      },
      configured: { site: 'ams', 'service.instance.id': 'ams-1' },
      shard: { index: 1, count: 3 },
    });
    assert.deepEqual(resource, {
      'service.name': 'probes',
      'service.version': '1.2.3',
      'service.instance.id': 'ams-1',
      site: 'ams',
      team: 'net,ops',
      region: 'eu',
      'netdiag.shard.index': 1,
      'netdiag.shard.count': 3,
    });
  });

  it('refuses a malformed OTEL_RESOURCE_ATTRIBUTES', () => {
    assert.throws(() => parseResourceAttributes('a=b=c'), usage(/"a=b=c" is not key=value/));
    assert.throws(() => parseResourceAttributes('=x'), usage(/"=x" is not key=value/));
    assert.throws(() => parseResourceAttributes('a=%zz'), usage(/"a=%zz" is not validly percent-encoded/));
    assert.deepEqual(parseResourceAttributes(',a=1,,'), { a: '1' });
  });
});

describe('netdiag-exporter OTLP usage errors', () => {
  const cli = async (
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ code: number; stderr: string }> => {
    try {
      const { stderr } = await run('node', [cliPath, '--config.file=config.example.yaml', ...args], {
        cwd: repoRoot,
        env: { ...process.env, ...env },
      });
      return { code: 0, stderr };
    } catch (error) {
      const e = error as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  };

  it('exits 2 on --web.listen-address=off without OTLP push', async () => {
    const result = await cli(['--web.listen-address=off']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^netdiag-exporter: --web\.listen-address=off leaves no way to export/);
  });

  it('exits 2 on an invalid OTEL_* variable, naming it', async () => {
    const result = await cli(['--web.listen-address=127.0.0.1:0'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_METRIC_EXPORT_INTERVAL: '60s',
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^netdiag-exporter: OTEL_METRIC_EXPORT_INTERVAL: "60s" is not a number/);
  });
});
