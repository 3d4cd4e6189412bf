import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { useLab, requireTools, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const target = (name: string, host: string) =>
  `  - name: ${name}\n    host: ${host}\n    ping: { interval: 50ms, timeout: 50ms }\n`;
const sent = (samples: Sample[], name: string) =>
  select(samples, 'netdiag_ping_sent_total', { target: name })[0]?.value;
const names = (samples: Sample[]) =>
  [...new Set(select(samples, 'netdiag_ping_sent_total', {}).map((s) => s.labels.target))].sort();

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('reload of a running exporter (lab namespace)', () => {
  const lab = useLab();
  let ns: Netns;
  let exporter: ExporterProcess;

  before(async () => {
    requireTools('curl');
    ns = await lab().namespace('reload');
    await lab().addAnyIp(ns, '10.202.0.0/24');
    exporter = await startExporter(ns, `targets:\n${target('a', '10.202.0.1')}${target('b', '10.202.0.2')}`);
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0, 'the exporter stops cleanly on SIGTERM');
  });

  it('on SIGHUP keeps an unchanged target counting, drops a removed one, starts an added one', async () => {
    const before = await until('both targets probed', async () => {
      const samples = await exporter.scrape();
      return (sent(samples, 'a') ?? 0) >= 5 && (sent(samples, 'b') ?? 0) >= 5 ? samples : undefined;
    });
    writeFileSync(exporter.file, `targets:\n${target('a', '10.202.0.1')}${target('c', '10.202.0.3')}`);
    process.kill(exporter.pid, 'SIGHUP');
    const after = await until('the new target list', async () => {
      const samples = await exporter.scrape();
      return names(samples).join() === 'a,c' && (sent(samples, 'c') ?? 0) >= 3 ? samples : undefined;
    });
    assert.ok(sent(after, 'a')! > sent(before, 'a')!, 'a kept its counter across the reload');
    assert.equal(after.filter((s) => s.labels.target === 'b').length, 0, 'no series of b is left');
    assert.equal(select(after, 'netdiag_config_last_reload_successful', {})[0]?.value, 1);
    assert.match(exporter.logs(), /config reloaded.*added=1.*removed=1/);
  });

  it('rejects an invalid file on POST /-/reload with located errors, keeps probing, and reports it', async () => {
    const before = await exporter.scrape();
    writeFileSync(exporter.file, `targets:\n  - name: a\n    host: 10.202.0.1\n    ping: { interval: 0s }\n`);
    const response = await exporter.post('/-/reload');
    assert.equal(response.status, 500);
    assert.match(response.body, /config\.yaml:4:\d+: targets\[0\]\.ping\.interval: /);
    await sleep(300);
    const after = await exporter.scrape();
    assert.equal(select(after, 'netdiag_config_last_reload_successful', {})[0]?.value, 0);
    assert.deepEqual(names(after), ['a', 'c']);
    assert.ok(sent(after, 'c')! > sent(before, 'c')!, 'the running config kept probing');
  });

  it('survives a storm of SIGHUPs and ends on the file as written', async () => {
    writeFileSync(exporter.file, `targets:\n${target('d', '10.202.0.4')}`);
    for (let i = 0; i < 50; i++) process.kill(exporter.pid, 'SIGHUP');
    const samples = await until('the stormed-in config', async () => {
      const s = await exporter.scrape();
      return names(s).join() === 'd' ? s : undefined;
    });
    assert.equal(select(samples, 'netdiag_config_last_reload_successful', {})[0]?.value, 1);
    assert.equal((await exporter.get('/-/healthy')).status, 200);
    const reloads = exporter.logs().match(/config reloaded/g)?.length ?? 0;
    assert.ok(reloads <= 1 + 2, `${reloads} reloads for 50 signals`);
  });

  it('with --config.watch-interval reloads when the file changes', async () => {
    const watched = await startExporter(ns, `targets:\n${target('w1', '10.202.0.5')}`, 9470, [
      '--config.watch-interval=100ms',
    ]);
    try {
      await until('w1 probed', async () =>
        (sent(await watched.scrape(), 'w1') ?? 0) > 0 ? true : undefined,
      );
      writeFileSync(watched.file, `targets:\n${target('w2', '10.202.0.6')}`);
      await until('w2 replaces w1', async () =>
        names(await watched.scrape()).join() === 'w2' ? true : undefined,
      );
    } finally {
      assert.equal(await watched.stop(), 0);
    }
  });
});
