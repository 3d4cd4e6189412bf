import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { useLab, requireTools, type Netns } from '../lab';
import { metricsNamed, resourceOf, type ReceivedExport } from '../support/otlp-receiver';
import { cliPath, fixturePath, repoRoot } from '../support/paths';

const INTERVAL_S = 1;
const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

/** A receiver in the namespace, its exports read from its stdout. */
class NamespacedReceiver {
  readonly received: ReceivedExport[] = [];
  port = 0;
  private wake: () => void = () => undefined;

  constructor(private readonly child: ChildProcess) {}

  static async start(ns: Netns): Promise<NamespacedReceiver> {
    const receiver = new NamespacedReceiver(ns.spawn(['node', fixturePath('otlp-receiver')]));
    await receiver.readLines();
    return receiver;
  }

  private readLines(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as ReceivedExport | { port: number };
        if ('port' in message) {
          this.port = message.port;
          resolve();
        } else {
          this.received.push(message);
          this.wake();
        }
      });
    });
  }

  async until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

const counter = (entry: ReceivedExport, name: string): number => {
  const point = metricsNamed(entry.body, name)[0]?.sum?.dataPoints[0];
  return Number(point?.asInt ?? point?.asDouble ?? NaN);
};
/** Native histograms are on by default: the RTTs go as exponential histograms. */
const rttHistogram = (entry: ReceivedExport) =>
  metricsNamed(entry.body, 'netdiag_ping_rtt_seconds')[0]?.exponentialHistogram?.dataPoints[0];

describe('OTLP push from a running exporter (lab namespace)', () => {
  const lab = useLab();
  let ns: Netns;
  let receiver: NamespacedReceiver;
  let dir: string;
  let exporter: ChildProcess;
  let logs = '';
  let exited: Promise<number | null>;

  before(async () => {
    requireTools('curl');
    ns = await lab().namespace('otlp');
    receiver = await NamespacedReceiver.start(ns);
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-otlp-'));
    chmodSync(dir, 0o755);
    const file = path.join(dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'otlp:',
        `  endpoint: http://127.0.0.1:${receiver.port}`,
        `  interval: ${INTERVAL_S}s`,
        '  headers: { authorization: Bearer lab-token }',
        '  resource_attributes: { site: lab, deployment.environment: test }',
        'targets:',
        '  - name: loopback',
        '    host: 127.0.0.1',
        '    ping: { interval: 100ms, timeout: 100ms }',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    exporter = ns.spawn(
      ['node', cliPath, `--config.file=${file}`, '--web.listen-address=off', '--log.level=debug'],
      { env: { ...process.env, POD_NAME: 'netdiag-exporter-0', OTEL_SERVICE_NAME: '' } },
    );
    exporter.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    exporter.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    exited = new Promise((resolve) => exporter.on('close', (code) => resolve(code)));
  });

  after(() => {
    receiver?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pushes every 1s the RTT histogram and counters of loopback probes, with the agent’s resource', async () => {
    await receiver.until(
      '4 pushes with ping data',
      () => receiver.received.filter((e) => rttHistogram(e)).length >= 4,
      15_000,
    );
    const pushes = receiver.received.filter((e) => rttHistogram(e));
    const gaps = pushes.slice(1).map((e, i) => (e.at - pushes[i]!.at) / 1000);
    // The push runs at a fixed rate: one push held up by a busy moment shortens the gap after it, so
    // the rate is judged over them all, and no gap may hold a missed push.
    const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(meanGap > 0.8 * INTERVAL_S && meanGap < 1.25 * INTERVAL_S, `gaps ${gaps.join(', ')} s`);
    assert.ok(
      gaps.every((gap) => gap < 1.9 * INTERVAL_S),
      `gaps ${gaps.join(', ')} s`,
    );

    const last = pushes.at(-1)!;
    assert.equal(last.path, '/v1/metrics');
    assert.equal(last.headers.authorization, 'Bearer lab-token');
    assert.deepEqual(resourceOf(last.body), {
      'service.name': 'netdiag-exporter',
      'service.version': version,
      'service.instance.id': 'netdiag-exporter-0',
      site: 'lab',
      'deployment.environment': 'test',
    });

    // 100 ms pings: about 10 per 1 s push; every one answered by the namespace's loopback.
    const sent = pushes.map((e) => counter(e, 'netdiag_ping_sent_total'));
    const received = pushes.map((e) => counter(e, 'netdiag_ping_received_total'));
    for (let i = 1; i < sent.length; i++) {
      const perPush = sent[i]! - sent[i - 1]!;
      assert.ok(perPush >= 6 && perPush <= 14, `sent per push: ${sent.join(', ')}`);
    }
    assert.ok(received.at(-1)! >= sent.at(-1)! - 1, `received ${received.at(-1)} of ${sent.at(-1)}`);
    const histogram = rttHistogram(last)!;
    assert.equal(Number(histogram.count), received.at(-1));
    const mean = histogram.sum! / Number(histogram.count);
    assert.ok(mean > 0 && mean < 0.005, `loopback mean RTT ${(mean * 1e3).toFixed(3)} ms`);
    // The native histograms' scale (bucket factor 1.1: schema 3), every RTT in a positive bucket
    // (base^i, base^(i+1)], none above the 100 ms timeout.
    assert.equal(histogram.scale, 3);
    const counts = (histogram.positive?.bucketCounts ?? []).map(Number);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      Number(histogram.count),
    );
    const top = 2 ** (((histogram.positive?.offset ?? 0) + counts.length) / 8);
    assert.ok(top < 0.1 * 2 ** (1 / 8), `highest bucket ends at ${top} s`);
    assert.equal(metricsNamed(last.body, 'netdiag_ping_rtt_seconds')[0]?.histogram, undefined);
    assert.match(logs, /OTLP push enabled.*url=http:\/\/127\.0\.0\.1:\d+\/v1\/metrics.*interval_ms=1000/);
  });

  it('serves no HTTP endpoint with --web.listen-address=off', async () => {
    const { code } = await ns.exec(['curl', '-s', '-o', '/dev/null', 'http://127.0.0.1:9469/-/healthy'], {
      check: false,
    });
    assert.equal(code, 7, 'curl: connection refused');
  });

  it('keeps the running push when a reload changes the otlp block, and says it waits for a restart', async () => {
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(`interval: ${INTERVAL_S}s`, 'interval: 5s'));
    exporter.kill('SIGHUP');
    const from = receiver.received.length;
    await receiver.until('3 more pushes', () => receiver.received.length >= from + 3, 6000);
    const recent = receiver.received.slice(from);
    const gaps = recent.slice(1).map((e, i) => (e.at - recent[i]!.at) / 1000);
    for (const gap of gaps)
      assert.ok(gap < 1.5 * INTERVAL_S, `still every ${INTERVAL_S}s: ${gaps.join(', ')}`);
    assert.match(logs, /the otlp block changed: it takes effect at restart/);
    assert.match(logs, /config reloaded/);
  });

  it('pushes once more on SIGTERM and exits 0', async () => {
    const before = receiver.received.length;
    const sentBefore = counter(receiver.received.at(-1)!, 'netdiag_ping_sent_total');
    exporter.kill('SIGTERM');
    assert.equal(await exited, 0, logs);
    await receiver.until('the final push', () => receiver.received.length > before, 3000);
    assert.ok(counter(receiver.received.at(-1)!, 'netdiag_ping_sent_total') >= sentBefore);
  });
});
