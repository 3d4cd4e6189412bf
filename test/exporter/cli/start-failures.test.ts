import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { cliPath, repoRoot } from '../../support/paths';

// Spawned as root in the host's namespace, probing loopback only. Logs at debug in JSON: every
// teardown step that ran is a `stopped` line, so the order of teardown is read from the process.
interface Outcome {
  code: number | null;
  stderr: string;
  /** The msg of each JSON log line, `stopped` lines as `stopped: STEP`. */
  events: string[];
  /** stderr lines that are not JSON log lines. */
  plain: string[];
}

interface RunOptions {
  uid?: number;
  gid?: number;
  /** Once stderr has this text, send `signal` (default SIGTERM), once. */
  stopAfter?: string;
  signal?: NodeJS.Signals;
  /** A script node loads before the CLI (`-r`). */
  preload?: string;
}

function run(args: string[], options: RunOptions = {}): Promise<Outcome> {
  const node = options.preload ? ['-r', options.preload] : [];
  const child = spawn(
    process.execPath,
    [...node, cliPath, '--log.level=debug', '--log.format=json', ...args],
    {
      cwd: repoRoot,
      ...(options.uid !== undefined && { uid: options.uid, gid: options.gid ?? options.uid }),
    },
  );
  let stderr = '';
  let stopped = false; // once: a second SIGTERM would end the process at once, as Node's default does
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.stopAfter && !stopped && stderr.includes(options.stopAfter))
      stopped = child.kill(options.signal ?? 'SIGTERM');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      const events: string[] = [];
      const plain: string[] = [];
      for (const line of stderr.split('\n').filter(Boolean)) {
        try {
          const record = JSON.parse(line) as { msg: string; step?: string };
          events.push(record.msg === 'stopped' ? `stopped: ${record.step}` : record.msg);
        } catch {
          plain.push(line);
        }
      }
      resolve({ code, stderr, events, plain });
    }),
  );
}

/** What a full start opened, undone: the last opened first. */
const FULL_TEARDOWN = [
  'stopped: SIGHUP handler',
  'stopped: config reloads',
  'stopped: HTTP server and last OTLP push',
  'stopped: agent',
  'stopped: HTTP server',
  'stopped: metrics pipeline',
  'stopped: config loader',
];

const stops = (events: string[]): string[] => events.filter((e) => e.startsWith('stopped: '));

describe('exporter start-up failures and shutdown: one teardown, in reverse order', () => {
  let dir: string;
  let config: string;
  let busy: Server;
  let busyPort: number;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-start-'));
    chmodSync(dir, 0o755); // readable by nobody, for the runs as an unprivileged user
    config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'targets:\n  - { name: lo, host: 127.0.0.1, ping: { interval: 1s } }\n');
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(() => {
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a port in use: one line naming the address, exit 2, and the agent never started', async () => {
    const out = await run([
      `--config.file=${config}`,
      `--web.listen-address=127.0.0.1:${busyPort}`,
      '--user=',
    ]);
    assert.equal(out.code, 2, out.stderr);
    assert.deepEqual(out.plain, [
      `netdiag-exporter: cannot listen on 127.0.0.1:${busyPort}: address in use (another process listens there: stop it or choose another --web.listen-address)`,
    ]);
    assert.ok(!out.events.includes('netdiag-exporter started'), out.stderr);
    assert.deepEqual(stops(out.events), ['stopped: metrics pipeline', 'stopped: config loader']);
  });

  it('an address the host does not have (EADDRNOTAVAIL): one line, exit 2', async () => {
    // 192.0.2.0/24 is TEST-NET-1: on no interface of this host.
    const out = await run([`--config.file=${config}`, '--web.listen-address=192.0.2.77:9427', '--user=']);
    assert.equal(out.code, 2, out.stderr);
    assert.deepEqual(out.plain, [
      'netdiag-exporter: cannot listen on 192.0.2.77:9427: this host has no such address (choose one of its addresses, or :PORT for every one)',
    ]);
  });

  it('a privileged port for an unprivileged user (EACCES): one line, exit 2, before any raw socket', async () => {
    const out = await run([`--config.file=${config}`, '--web.listen-address=127.0.0.1:81'], { uid: 65534 });
    assert.equal(out.code, 2, out.stderr);
    assert.deepEqual(out.plain, [
      'netdiag-exporter: cannot listen on 127.0.0.1:81: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE: choose a port above 1023)',
    ]);
  });

  it('the agent failing after the port is bound (no CAP_NET_RAW) closes the server, then the pipeline and loader', async () => {
    const out = await run([`--config.file=${config}`, '--web.listen-address=127.0.0.1:0'], { uid: 65534 });
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.plain.length, 1, out.stderr);
    assert.match(out.plain[0]!, /^netdiag-exporter: .*CAP_NET_RAW/);
    assert.ok(out.events.includes('listening'), out.stderr);
    assert.deepEqual(stops(out.events), [
      'stopped: HTTP server',
      'stopped: metrics pipeline',
      'stopped: config loader',
    ]);
  });

  it('SIGTERM after a full start undoes everything it opened, the last opened first', async () => {
    const out = await run([`--config.file=${config}`, '--web.listen-address=127.0.0.1:0', '--user=nobody'], {
      stopAfter: '"msg":"netdiag-exporter started"',
    });
    assert.equal(out.code, 0, out.stderr);
    const started = out.events.indexOf('netdiag-exporter started');
    assert.ok(out.events.indexOf('listening') < started && out.events.indexOf('switched user') < started);
    assert.deepEqual(stops(out.events), FULL_TEARDOWN);
  });

  it('a fatal error while running (an uncaught exception) takes the same teardown, then exit 70', async () => {
    const preload = path.join(dir, 'plant-fatal-error.js');
    writeFileSync(
      preload,
      "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('planted fatal error'); }));\n",
    );
    const out = await run([`--config.file=${config}`, '--web.listen-address=127.0.0.1:0', '--user='], {
      stopAfter: '"msg":"netdiag-exporter started"',
      signal: 'SIGUSR2',
      preload,
    });
    assert.equal(out.code, 70, out.stderr);
    assert.ok(out.events.includes('fatal error: shutting down'), out.stderr);
    assert.match(out.stderr, /"code":"ERR_INTERNAL","err":"planted fatal error"/);
    assert.deepEqual(stops(out.events), FULL_TEARDOWN);
  });
});

describe('bind addresses the host lacks, in the exporter’s config', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-bind-start-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const targets = 'targets:\n  - { name: lo, host: 127.0.0.1, ping: { interval: 200ms, timeout: 100ms } }\n';

  it('stop the start with the located error, exit 2, nothing opened but the loader', async () => {
    const file = path.join(dir, 'absent.yaml');
    writeFileSync(file, `bind: { ipv4: 192.0.2.10 }\n${targets}`);
    const out = await run([`--config.file=${file}`, '--web.listen-address=127.0.0.1:0', '--user=']);
    assert.equal(out.code, 2, out.stderr);
    assert.deepEqual(out.plain, [
      `${file}:1:15: bind.ipv4: 192.0.2.10 is not an address of this host (bind: EADDRNOTAVAIL): probes from it would get no answer; give one of the host's addresses or leave bind.ipv4 unset`,
    ]);
    assert.deepEqual(stops(out.events), ['stopped: config loader']);
  });

  it('are refused on reload, located, and the running config stays', async () => {
    const file = path.join(dir, 'reload.yaml');
    writeFileSync(file, targets);
    const child = spawn(
      process.execPath,
      [cliPath, `--config.file=${file}`, '--web.listen-address=127.0.0.1:0', '--user='],
      {
        cwd: repoRoot,
      },
    );
    let stderr = '';
    const listening = new Promise<string>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const url = /msg=listening address=(\S+)/.exec(stderr)?.[1];
        if (url && stderr.includes('netdiag-exporter started')) resolve(url);
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const url = await listening;
      writeFileSync(file, `bind: { ipv4: 192.0.2.10 }\n${targets}`);
      const reply = await fetch(`${url}/-/reload`, { method: 'POST' });
      assert.equal(reply.status, 500);
      assert.match(
        await reply.text(),
        /:1:15: bind\.ipv4: 192\.0\.2\.10 is not an address of this host \(bind: EADDRNOTAVAIL\)/,
      );
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /^netdiag_config_last_reload_successful 0$/m);
      assert.match(metrics, /^netdiag_ping_sent_total\{[^}]*target="lo"[^}]*\} [1-9]/m);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    }
  });
});
