import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { hashSync } from 'bcryptjs';
import { requireTools, useLab, type Netns } from '../lab';
import { cliPath, repoRoot } from '../support/paths';
import { makeCertificates, type TestCertificates } from '../support/tls-certificates';

const EXPORTER_PORT = 9469;
const PROMETHEUS_PORT = 9090;
const PASSWORD = 'correct horse battery staple';
const EXPORTER = `https://127.0.0.1:${EXPORTER_PORT}`;

interface ScrapeTarget {
  labels: Record<string, string>;
  lastError: string;
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('--web.config.file: the real CLI behind TLS and basic auth (lab namespace)', () => {
  const lab = useLab();
  let ns: Netns;
  let certs: TestCertificates;
  let exporter: ChildProcess;
  let logs = '';

  /** curl inside the namespace: [exit code, HTTP status, headers and body]. */
  async function curl(...args: string[]): Promise<{ code: number; status: number; output: string }> {
    const { code, stdout } = await ns.exec(['curl', '-s', '-i', '-w', '\n%{http_code}', ...args], {
      check: false,
    });
    const cut = stdout.lastIndexOf('\n');
    return { code, status: Number(stdout.slice(cut + 1)), output: stdout.slice(0, cut) };
  }

  const trusted = (...args: string[]): string[] => ['--cacert', certs.caCert, ...args];

  before(async () => {
    requireTools('curl', 'openssl', 'prometheus');
    ns = await lab().namespace('web');
    certs = makeCertificates();
    const webConfig = path.join(certs.dir, 'web.yml');
    // Relative file names: resolved against the web config's folder.
    writeFileSync(
      webConfig,
      `tls_server_config:
  cert_file: server.crt
  key_file: server.key
http_server_config:
  headers: { X-Content-Type-Options: nosniff }
basic_auth_users:
  prometheus: '${hashSync(PASSWORD, 10)}'
`,
      { mode: 0o644 },
    );
    // Started as root it switches to nobody: the files above are world-readable for the re-reads.
    exporter = ns.spawn([
      'node',
      cliPath,
      `--config.file=${path.join(repoRoot, 'config.example.yaml')}`,
      `--web.config.file=${webConfig}`,
      `--web.listen-address=127.0.0.1:${EXPORTER_PORT}`,
    ]);
    exporter.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    exporter.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    for (let attempt = 0; ; attempt++) {
      const { status } = await curl(...trusted('-u', `prometheus:${PASSWORD}`, `${EXPORTER}/-/healthy`));
      if (status === 200) break;
      if (attempt > 100 || exporter.exitCode !== null)
        throw new Error(`the exporter did not start:\n${logs}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  after(() => {
    exporter?.kill('SIGTERM');
    certs?.remove();
  });

  it('serves /metrics over HTTPS to the right credentials only', async () => {
    const good = await curl(...trusted('-u', `prometheus:${PASSWORD}`, `${EXPORTER}/metrics`));
    assert.equal(good.status, 200);
    assert.match(good.output, /^x-content-type-options: nosniff\r?$/im);
    assert.match(good.output, /^netdiag_ping_sent_total\{/m);

    for (const credentials of [[], ['-u', 'prometheus:wrong'], ['-u', `grafana:${PASSWORD}`]]) {
      const refused = await curl(...trusted(...credentials, `${EXPORTER}/metrics`));
      assert.equal(refused.status, 401, credentials.join(' '));
      assert.match(refused.output, /^www-authenticate: Basic\r?$/im);
      assert.doesNotMatch(refused.output, /netdiag_/);
    }
    for (const endpoint of ['/-/healthy', '/-/ready']) {
      assert.equal((await curl(...trusted(`${EXPORTER}${endpoint}`))).status, 401, endpoint);
    }
    assert.equal((await curl(...trusted('-X', 'POST', `${EXPORTER}/-/reload`))).status, 401);
    const reload = await curl(
      ...trusted('-u', `prometheus:${PASSWORD}`, '-X', 'POST', `${EXPORTER}/-/reload`),
    );
    assert.equal(reload.status, 200);
  });

  it('is not reachable over plain HTTP, nor by a client that does not trust its CA', async () => {
    // Go's answer (exporter-toolkit), which tells the user what went wrong; and the connection closes.
    const plain = await curl('-u', `prometheus:${PASSWORD}`, `http://127.0.0.1:${EXPORTER_PORT}/metrics`);
    assert.equal(plain.status, 400);
    assert.match(
      plain.output,
      /^HTTP\/1\.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server\.\n$/,
    );
    const untrusted = await curl('-u', `prometheus:${PASSWORD}`, `${EXPORTER}/metrics`);
    assert.equal(untrusted.code, 60); // curl: peer certificate cannot be authenticated
  });

  it('passes the healthcheck subcommand (HTTPS, 401 counts as serving); a closed port fails it', async () => {
    const serving = await ns.exec(
      ['node', cliPath, 'healthcheck', `--web.listen-address=127.0.0.1:${EXPORTER_PORT}`],
      {
        check: false,
      },
    );
    assert.equal(serving.code, 0, serving.stdout);
    assert.match(serving.stdout, /serving \(https 401\)/);
    const closed = await ns.exec(['node', cliPath, 'healthcheck', '--web.listen-address=127.0.0.1:1'], {
      check: false,
    });
    assert.equal(closed.code, 1);
  });

  it('is scraped by a real Prometheus with basic_auth and tls_config (up 1; a wrong password or http up 0)', async () => {
    const config = path.join(certs.dir, 'prometheus.yml');
    const job = (name: string, password: string, scheme = 'https'): string => `  - job_name: ${name}
    scheme: ${scheme}
    tls_config: { ca_file: ${certs.caCert} }
    basic_auth: { username: prometheus, password: "${password}" }
    static_configs: [{ targets: ["127.0.0.1:${EXPORTER_PORT}"] }]
`;
    writeFileSync(
      config,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
${job('netdiag-tls', PASSWORD)}${job('netdiag-wrong-password', 'guess')}${job('netdiag-plain', PASSWORD, 'http')}`,
    );
    ns.spawn([
      'prometheus',
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(certs.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    ]);
    const url = `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent('up')}`;
    let up: Record<string, string> = {};
    for (let attempt = 0; attempt < 60; attempt++) {
      const { code, stdout } = await ns.exec(['curl', '-sf', url], { check: false });
      if (code === 0) {
        const result = (JSON.parse(stdout) as { data: { result: VectorSample[] } }).data.result;
        up = Object.fromEntries(result.map((sample) => [sample.metric.job ?? '', sample.value[1]]));
        if (Object.keys(up).length === 3) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.deepEqual(up, { 'netdiag-tls': '1', 'netdiag-wrong-password': '0', 'netdiag-plain': '0' });
    // What the target page shows for a forgotten `scheme: https`: the 400, not a reset connection.
    const targets = await ns.exec(['curl', '-sf', `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/targets`]);
    const active = (JSON.parse(targets.stdout) as { data: { activeTargets: ScrapeTarget[] } }).data
      .activeTargets;
    const plainTarget = active.find((target) => target.labels.job === 'netdiag-plain');
    assert.match(plainTarget?.lastError ?? '', /400 Bad Request/);
    // The samples came through: a series of the exporter is in Prometheus.
    const sent = await ns.exec([
      'curl',
      '-sf',
      `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent('netdiag_ping_sent_total{job="netdiag-tls"}')}`,
    ]);
    assert.ok((JSON.parse(sent.stdout) as { data: { result: unknown[] } }).data.result.length > 0);
  });

  it('exits 2 at start on a bad web config, naming file, line, key and problem, without a stack trace', async () => {
    const bad = path.join(certs.dir, 'bad.yml');
    writeFileSync(
      bad,
      'tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\nbasic_auth_users:\n  prometheus: plain\n',
    );
    const { code, stderr } = await ns.exec(
      [
        'node',
        cliPath,
        `--config.file=${path.join(repoRoot, 'config.example.yaml')}`,
        `--web.config.file=${bad}`,
        '--web.listen-address=127.0.0.1:9470',
      ],
      { check: false },
    );
    assert.equal(code, 2);
    assert.match(
      stderr,
      new RegExp(`^netdiag-exporter: ${bad}:5:15: basic_auth_users\\.prometheus: expected a bcrypt hash`),
    );
    assert.doesNotMatch(stderr, /\n\s+at /);
    writeFileSync(bad, 'tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n');
    const missing = await ns.exec(
      [
        'node',
        cliPath,
        `--config.file=${path.join(repoRoot, 'config.example.yaml')}`,
        `--web.config.file=${bad}`,
      ],
      { check: false },
    );
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr.trim(),
      `netdiag-exporter: ${bad}:3:13: tls_server_config.key_file: cannot read key ${certs.dir}/missing.key: ENOENT`,
    );
  });
});
