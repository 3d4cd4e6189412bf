import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useLab, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const sent = (samples: Sample[], target: string): number | undefined =>
  select(samples, 'netdiag_ping_sent_total', { target })[0]?.value;
const names = (samples: Sample[]): string[] =>
  [...new Set(select(samples, 'netdiag_ping_sent_total', {}).map((s) => s.labels.target!))].sort();
const fileGauge = (samples: Sample[], name: string, file: string): number | undefined =>
  select(samples, name, { file })[0]?.value;

describe('target_groups: file_sd files read while the exporter runs (lab namespace)', () => {
  const lab = useLab();
  let ns: Netns;
  let exporter: ExporterProcess;
  let dir: string;
  let a: string;
  let b: string;

  /** Writes a file whole, as generators should (a rename), so that no read sees half of it. */
  function write(file: string, text: string): void {
    writeFileSync(`${file}.tmp`, text, { mode: 0o644 });
    renameSync(`${file}.tmp`, file);
  }
  const entry = (hosts: string[], labels: Record<string, string>): object => ({ targets: hosts, labels });

  before(async () => {
    ns = await lab().namespace('files');
    await lab().addAnyIp(ns, '10.206.0.0/24');
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-sd-'));
    // The exporter reads them as nobody once it dropped its privileges.
    chmodSync(dir, 0o755);
    a = path.join(dir, 'a.json');
    b = path.join(dir, 'b.yml');
    write(
      a,
      JSON.stringify([
        entry(['10.206.0.1'], { instance: 'a1', team: 'red', __meta_source: 'netbox' }),
        entry(['10.206.0.2'], { instance: 'a2', team: 'red' }),
      ]),
    );
    write(b, '- targets: [10.206.0.10]\n  labels: { instance: b1 }\n');
    exporter = await startExporter(
      ns,
      [
        'targets:',
        '  - { name: main, host: 10.206.0.100, ping: { interval: 100ms, timeout: 100ms } }',
        'target_groups:',
        `  - files: ["${dir}/*.json", "${dir}/*.yml"]`,
        '    name_label: instance',
        '    labels: { team: none, source: inventory }',
        '    ping: { interval: 100ms, timeout: 100ms }',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0, 'the exporter stops cleanly on SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('probes the targets of every file from the start, with the group labels under the file labels', async () => {
    const samples = await until('the file targets probed', async () => {
      const s = await exporter.scrape();
      return names(s).join() === 'a1,a2,b1,main' ? s : undefined;
    });
    const labels = select(samples, 'netdiag_ping_sent_total', { target: 'a1' })[0]?.labels;
    assert.equal(labels?.team, 'red');
    assert.equal(labels?.source, 'inventory');
    assert.equal(labels?.address, '10.206.0.1');
    assert.equal(labels?.__meta_source, undefined);
    assert.equal(select(samples, 'netdiag_ping_sent_total', { target: 'b1' })[0]?.labels.team, 'none');
    assert.equal(fileGauge(samples, 'netdiag_target_file_success', a), 1);
    assert.equal(fileGauge(samples, 'netdiag_target_file_targets', a), 2);
    assert.equal(fileGauge(samples, 'netdiag_target_file_success', b), 1);
    assert.ok((fileGauge(samples, 'netdiag_target_file_last_success_timestamp_seconds', b) ?? 0) > 1.7e9);
  });

  it('follows a changed file without a signal: labels change, a host goes, one comes, the others keep counting', async () => {
    const before = await exporter.scrape();
    write(
      a,
      JSON.stringify([
        entry(['10.206.0.1'], { instance: 'a1', team: 'blue' }),
        entry(['10.206.0.3'], { instance: 'a3' }),
      ]),
    );
    const samples = await until(
      'the new content of a.json',
      async () => {
        const s = await exporter.scrape();
        return names(s).join() === 'a1,a3,b1,main' &&
          select(s, 'netdiag_ping_sent_total', { target: 'a1' })[0]?.labels.team === 'blue'
          ? s
          : undefined;
      },
      5_000,
    );
    assert.deepEqual(
      samples.filter((s) => s.labels.target === 'a2').map((s) => s.name),
      [],
      'no series of the removed target is left',
    );
    assert.ok(sent(samples, 'b1')! > sent(before, 'b1')!, 'the other file kept its counters');
    assert.ok(sent(samples, 'main')! > sent(before, 'main')!, 'the config targets kept theirs');
    assert.match(exporter.logs(), /"target files applied" added=1 removed=1 changed=1 unchanged=2/);
  });

  it('keeps the last good targets of a broken file, reads 0 on its gauge, and logs FILE:LINE:COL', async () => {
    write(a, '[{"targets": ["10.206.0.1"], "labels": {"instance": "a1"}},\n {"targets": ["10.206.0.300"]}]');
    const samples = await until(
      'a.json reported broken',
      async () => {
        const s = await exporter.scrape();
        return fileGauge(s, 'netdiag_target_file_success', a) === 0 ? s : undefined;
      },
      5_000,
    );
    assert.deepEqual(names(samples), ['a1', 'a3', 'b1', 'main']);
    assert.equal(fileGauge(samples, 'netdiag_target_file_targets', a), 2);
    assert.equal(fileGauge(samples, 'netdiag_target_file_success', b), 1);
    assert.ok(
      // logfmt escapes the quotes of the value's "…".
      exporter.logs().includes(`${a}:2:15: [1].targets[0]: host \\"…\\" is not a valid IPv4 address`),
      `the log line locates the error:\n${exporter.logs()}`,
    );
    assert.match(exporter.logs(), /target file rejected.*code=ERR_TARGET_FILE/);
    const later = await exporter.scrape();
    await sleep(500);
    assert.ok(sent(await exporter.scrape(), 'a3')! > sent(later, 'a3')!, 'the last good targets are probed');
  });

  it('refuses a file naming a target named elsewhere, naming both places', async () => {
    const c = path.join(dir, 'c.json');
    write(c, JSON.stringify([entry(['10.206.0.20'], { instance: 'b1' })]));
    const samples = await until(
      'c.json reported',
      async () => {
        const s = await exporter.scrape();
        return fileGauge(s, 'netdiag_target_file_success', c) === 0 ? s : undefined;
      },
      5_000,
    );
    assert.equal(
      select(samples, 'netdiag_ping_sent_total', { target: 'b1' })[0]?.labels.address,
      '10.206.0.10',
    );
    assert.ok(
      exporter.logs().includes(`${c}:1:14: duplicate target name \\"b1\\" (first at ${b}:1:13)`),
      exporter.logs(),
    );
  });

  it('drops the targets and the series of a file that is removed', async () => {
    rmSync(a);
    const samples = await until(
      'a.json gone',
      async () => {
        const s = await exporter.scrape();
        return names(s).join() === 'b1,main' ? s : undefined;
      },
      5_000,
    );
    assert.equal(fileGauge(samples, 'netdiag_target_file_success', a), undefined);
    assert.equal(samples.filter((s) => s.labels.target === 'a1').length, 0);
  });
});
