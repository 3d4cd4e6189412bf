import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useLab, requireTools, type Netns } from '../lab';
import { cliPath, fixturePath } from '../support/paths';
import { parseSamples, select, type Sample } from '../support/scrape';

const PORT = 9469;
/** The exporter's open-file limit: the default cap is a quarter of it. */
const FILE_LIMIT = 256;
const CAP = FILE_LIMIT / 4;
/** More idle connections than the cap, and more than the whole descriptor limit. */
const IDLE = 600;
const TARGETS = 5;
const CONFIG = `targets:\n${Array.from(
  { length: TARGETS },
  (_, i) =>
    `  - name: t${i}\n    host: 10.203.0.${i + 1}\n    ping: { interval: 50ms, timeout: 50ms }\n` +
    `    knock: [{ port: 9, interval: 100ms, timeout: 100ms }]\n`,
).join('')}`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const total = (samples: Sample[], name: string): number =>
  select(samples, name).reduce((sum, sample) => sum + sample.value, 0);

describe(`exporter under ${IDLE} idle connections with ulimit -n ${FILE_LIMIT} (lab namespace)`, () => {
  const lab = useLab();
  let ns: Netns;
  let exporter: ChildProcess;
  let exited: Promise<number | null>;
  let logs = '';
  let dir: string;

  const scrape = async (): Promise<Sample[] | undefined> => {
    const { stdout, code } = await ns.exec(
      ['curl', '-s', '--max-time', '5', '-w', '\n%{http_code}', `http://127.0.0.1:${PORT}/metrics`],
      { check: false },
    );
    const cut = stdout.lastIndexOf('\n');
    if (code !== 0 || stdout.slice(cut + 1) !== '200') return undefined;
    return parseSamples(stdout.slice(0, cut));
  };

  before(async () => {
    requireTools('curl');
    ns = await lab().namespace('flood');
    await lab().addAnyIp(ns, '10.203.0.0/24');
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-flood-'));
    chmodSync(dir, 0o755);
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, CONFIG, { mode: 0o644 });
    exporter = ns.spawn([
      'bash',
      '-c',
      `ulimit -n ${FILE_LIMIT} && exec node ${cliPath} --config.file=${file} ` +
        `--web.listen-address=127.0.0.1:${PORT} --log.level=info`,
    ]);
    exporter.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    exporter.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    exited = new Promise((resolve) => exporter.on('close', (code) => resolve(code)));
    for (let attempt = 0; (await scrape()) === undefined; attempt++) {
      if (attempt > 100 || exporter.exitCode !== null)
        throw new Error(`the exporter did not start:\n${logs}`);
      await sleep(100);
    }
  });

  after(() => {
    if (exporter?.exitCode === null) exporter.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps scraping, probing and reloading, holds at most the cap, and stops on SIGTERM at once', async (t) => {
    await sleep(1000);
    const before = await scrape();
    assert.ok(before, 'scraped before the flood');

    const flood = ns.spawn(['node', fixturePath('idle-connections'), String(PORT), String(IDLE), '1000']);
    let floodOut = '';
    flood.stdout?.on('data', (chunk: Buffer) => (floodOut += chunk.toString()));
    const floodDone = new Promise<void>((resolve) => flood.on('close', () => resolve()));
    try {
      for (let i = 0; i < 200 && !floodOut.includes('ready'); i++) await sleep(100);
      assert.match(floodOut, /ready/, 'the flood opened its connections');

      // Ten seconds under the flood: every scrape answered, the HTTP side never above the cap.
      const scrapes: Array<Sample[] | undefined> = [];
      let maxOpen = 0;
      let maxDescriptors = 0;
      for (let i = 0; i < 20; i++) {
        const samples = await scrape();
        scrapes.push(samples);
        if (samples) maxOpen = Math.max(maxOpen, total(samples, 'netdiag_http_connections'));
        maxDescriptors = Math.max(maxDescriptors, readdirSync(`/proc/${exporter.pid}/fd`).length);
        await sleep(500);
      }
      assert.equal(
        scrapes.filter((s) => s === undefined).length,
        0,
        'every scrape during the flood was answered',
      );
      const during = scrapes[scrapes.length - 1]!;
      assert.ok(maxOpen <= CAP, `at most ${CAP} HTTP connections open, saw ${maxOpen}`);
      assert.equal(total(during, 'netdiag_http_connections_max'), CAP);
      assert.ok(
        total(during, 'netdiag_http_connections_closed_total') > IDLE - CAP,
        'the connections over the cap were closed',
      );
      assert.ok(
        maxDescriptors < FILE_LIMIT,
        `descriptors in use peaked at ${maxDescriptors} of ${FILE_LIMIT}`,
      );

      // Probing went on, without a single failed send or probe error.
      const sent = (s: Sample[]): number => total(s, 'netdiag_ping_sent_total');
      const received = (s: Sample[]): number => total(s, 'netdiag_ping_received_total');
      const pingsSent = sent(during) - sent(before);
      const pingsReceived = received(during) - received(before);
      assert.ok(pingsSent >= TARGETS * 100, `${pingsSent} pings sent in ~10 s`);
      assert.ok(pingsReceived >= pingsSent - TARGETS * 5, `${pingsReceived} of ${pingsSent} answered`);
      const knocks = total(during, 'netdiag_knock_sent_total') - total(before, 'netdiag_knock_sent_total');
      assert.ok(knocks >= TARGETS * 50, `${knocks} knocks sent in ~10 s`);
      assert.equal(total(during, 'netdiag_probe_errors_total'), total(before, 'netdiag_probe_errors_total'));

      // A reload (worker, file reads) still finds its descriptors.
      process.kill(exporter.pid!, 'SIGHUP');
      let reloaded = false;
      for (let i = 0; i < 50 && !reloaded; i++) {
        await sleep(100);
        reloaded = /config reloaded/.test(logs);
      }
      assert.ok(reloaded, `reloaded under the flood:\n${logs.slice(-2000)}`);
      const afterReload = await scrape();
      assert.equal(afterReload && total(afterReload, 'netdiag_config_last_reload_successful'), 1);
      assert.doesNotMatch(logs, /EMFILE|ENFILE/);

      // SIGTERM with the flood still on: the exporter exits cleanly, without waiting on idle clients.
      const started = Date.now();
      exporter.kill('SIGTERM');
      const code = await exited;
      const elapsed = Date.now() - started;
      assert.equal(code, 0, logs.slice(-2000));
      assert.ok(elapsed < 5000, `exited ${elapsed} ms after SIGTERM (close deadline 5 s)`);
      t.diagnostic(
        `20/20 scrapes answered; HTTP connections <= ${maxOpen} (cap ${CAP}); descriptors <= ${maxDescriptors}; ` +
          `closed by the server ${total(during, 'netdiag_http_connections_closed_total')}; ` +
          `pings ${pingsReceived}/${pingsSent}; knocks ${knocks}; exit ${elapsed} ms after SIGTERM`,
      );
    } finally {
      flood.kill('SIGTERM');
      await floodDone;
    }
  });
});
