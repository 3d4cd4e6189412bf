import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cliPath, repoRoot } from '../../support/paths';

// Spawned as root in the host's namespace, probing loopback only, on ports of their own.
const port = 20_000 + (process.pid % 20_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn('node', [cliPath, '--user=', ...args], { cwd: repoRoot });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function get(url: string, method = 'GET'): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url, { method, signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

describe('netdiag-exporter start and reload against hostile files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'netdiag-hostile-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a config over the ICMP identifier capacity exits 2 at start with one line, nothing started', async () => {
    const file = path.join(dir, 'traces.yaml');
    const lines = ['targets:'];
    // 1,100 ICMP traces of 64 flows: 70,400 identifiers for IPv4, over 65,536.
    for (let i = 0; i < 1100; i++)
      lines.push(
        `  - { name: t${i}, host: 127.0.${Math.floor(i / 250)}.${(i % 250) + 1}, trace: { protocol: icmp, flows: 64 } }`,
      );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const exporter = run([`--config.file=${file}`, `--web.listen-address=127.0.0.1:${port}`]);
    try {
      const code = await within(exporter.exited, 60_000, 'exit');
      assert.equal(code, 2, exporter.output());
      const out = exporter.output().trim().split('\n');
      assert.equal(out.length, 1, exporter.output());
      assert.match(
        out[0]!,
        /^netdiag-exporter: .*traces\.yaml: targets\[1024\] \("t1024"\): the config needs 70400 ICMP identifiers for IPv4 /,
      );
    } finally {
      exporter.child.kill('SIGKILL');
    }
  });

  it('--config.check lists 100 errors of a 20,000-error file, then how many more, and refuses a config over capacity', async () => {
    const bad = path.join(dir, 'bad-items.yaml');
    writeFileSync(bad, `targets:\n${'- 1\n'.repeat(20_000)}`);
    const check = run(['--config.check', `--config.file=${bad}`]);
    assert.equal(await within(check.exited, 60_000, 'check'), 1);
    const lines = check.output().trim().split('\n');
    assert.equal(lines.length, 101);
    assert.equal(lines[100], '… and 19900 more errors');

    const traces = path.join(dir, 'traces.yaml');
    const capacity = run(['--config.check', `--config.file=${traces}`]);
    assert.equal(await within(capacity.exited, 60_000, 'check'), 1);
    assert.match(
      capacity.output(),
      /^\S+traces\.yaml: targets\[1024\] \("t1024"\): the config needs 70400 ICMP/,
    );
  });

  it('survives a SIGHUP while the config worker cannot start (EMFILE), and the next reload runs', async () => {
    const file = path.join(dir, 'ok.yaml');
    writeFileSync(
      file,
      'targets:\n  - name: lo\n    host: 127.0.0.1\n    ping: { interval: 200ms, timeout: 100ms }\n',
    );
    const url = `http://127.0.0.1:${port + 1}`;
    const exporter = run([`--config.file=${file}`, `--web.listen-address=127.0.0.1:${port + 1}`]);
    const pid = String(exporter.child.pid);
    try {
      for (let i = 0; (await get(`${url}/-/healthy`)).status !== 200; i++) {
        assert.ok(i < 100 && exporter.child.exitCode === null, `did not start:\n${exporter.output()}`);
        await sleep(100);
      }
      // No descriptor left (soft limit = descriptors open): the Worker of the reload cannot be created.
      const soft = execFileSync('prlimit', [
        `--pid=${pid}`,
        '--nofile',
        '--raw',
        '--noheadings',
        '--output=SOFT',
      ])
        .toString()
        .trim();
      const open = readdirSync(`/proc/${pid}/fd`).length;
      execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${open}:`]);
      exporter.child.kill('SIGHUP');
      for (let i = 0; !exporter.output().includes('config reload failed') && i < 100; i++) await sleep(100);
      await sleep(300);
      assert.equal(exporter.child.exitCode, null, `the exporter exited:\n${exporter.output()}`);
      assert.match(exporter.output(), /config reload failed, keeping the running one.* code=\S+/);
      execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${soft}:`]);
      const metrics = await get(`${url}/metrics`);
      assert.match(metrics.body, /^netdiag_config_last_reload_successful 0$/m);
      const reload = await get(`${url}/-/reload`, 'POST');
      assert.equal(reload.status, 200, reload.body);
      assert.match(reload.body, /config reloaded/);
    } finally {
      exporter.child.kill('SIGTERM');
      await within(exporter.exited, 30_000, 'stop').catch(() => exporter.child.kill('SIGKILL'));
    }
  });

  it('never logs the credentials of an OTLP endpoint, at start or on failed pushes', async () => {
    const file = path.join(dir, 'otlp.yaml');
    writeFileSync(
      file,
      [
        'otlp:',
        '  endpoint: "http://pushuser:s3cretPW@127.0.0.1:9/v1/metrics?api_key=k3yK3y"',
        '  interval: 500ms',
        '  timeout: 200ms',
        'targets:',
        '  - name: lo',
        '    host: 127.0.0.1',
        '    ping: {}',
        '',
      ].join('\n'),
    );
    const exporter = run([`--config.file=${file}`, '--web.listen-address=off', '--log.level=debug']);
    try {
      for (let i = 0; !exporter.output().includes('OTLP push failed') && i < 100; i++) await sleep(100);
      const output = exporter.output();
      assert.match(output, /OTLP push enabled/);
      assert.match(output, /OTLP push failed/);
      assert.ok(!output.includes('s3cretPW'), output);
      assert.ok(!output.includes('k3yK3y'), output);
      assert.match(output, /url="?http:\/\/\*\*\*@127\.0\.0\.1:9\/v1\/metrics\?api_key=\*\*\*/);
    } finally {
      exporter.child.kill('SIGTERM');
      await within(exporter.exited, 30_000, 'stop').catch(() => exporter.child.kill('SIGKILL'));
    }
  });
});
