import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { shardOf } from '../../exporter/config';
import { useLab, requireTools, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const targetNames = (count: number): string[] => Array.from({ length: count }, (_, i) => `host-${i}`);
const configOf = (names: string[]): string =>
  `targets:\n${names
    .map(
      (name, i) =>
        `  - { name: ${name}, host: 10.203.0.${i + 1}, ping: { interval: 50ms, timeout: 50ms } }\n`,
    )
    .join('')}`;
const probed = (samples: Sample[]): string[] =>
  select(samples, 'netdiag_ping_sent_total', {})
    .filter((s) => s.value > 0)
    .map((s) => s.labels.target!)
    .sort();

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('two exporters sharing one target list with --shard.count=2 (lab namespace)', () => {
  const lab = useLab();
  let ns: Netns;
  const shards: ExporterProcess[] = [];

  before(async () => {
    requireTools('curl');
    ns = await lab().namespace('shard');
    await lab().addAnyIp(ns, '10.203.0.0/24');
    const config = configOf(targetNames(20));
    for (const index of [0, 1])
      shards.push(
        await startExporter(ns, config, 9481 + index, [`--shard.index=${index}`, '--shard.count=2']),
      );
  });

  after(async () => {
    for (const shard of shards) assert.equal(await shard.stop(), 0);
  });

  const expected = (names: string[], index: number): string[] =>
    names.filter((name) => shardOf(name, 2) === index).sort();

  it('probe disjoint sets that together cover the list, each the hash’s share', async () => {
    const names = targetNames(20);
    const sets = await Promise.all(
      shards.map((shard, index) =>
        until(`shard ${index} probing its share`, async () => {
          const got = probed(await shard.scrape());
          return got.join() === expected(names, index).join() ? got : undefined;
        }),
      ),
    );
    assert.ok(sets[0]!.length >= 5 && sets[1]!.length >= 5, `split ${sets[0]!.length} + ${sets[1]!.length}`);
    assert.deepEqual(
      sets[0]!.filter((name) => sets[1]!.includes(name)),
      [],
      'disjoint',
    );
    assert.deepEqual([...sets[0]!, ...sets[1]!].sort(), [...names].sort(), 'together the whole list');
    for (const [index, shard] of shards.entries()) {
      const samples = await shard.scrape();
      assert.equal(select(samples, 'netdiag_targets', { probe: 'ping' })[0]?.value, sets[index]!.length);
      const info = select(samples, 'target_info', {})[0];
      assert.equal(info?.labels.netdiag_shard_index, String(index));
      assert.equal(info?.labels.netdiag_shard_count, '2');
      assert.match(
        shard.logs(),
        new RegExp(
          `netdiag-exporter started.*targets=${sets[index]!.length}.*shard=${index}/2.*targets_in_file=20`,
        ),
      );
    }
  });

  it('applies the split again on reload: added targets go to their shard only', async () => {
    const names = targetNames(30);
    for (const shard of shards) {
      writeFileSync(shard.file, configOf(names));
      process.kill(shard.pid, 'SIGHUP');
    }
    const sets = await Promise.all(
      shards.map((shard, index) =>
        until(`shard ${index} after the reload`, async () => {
          const got = probed(await shard.scrape());
          return got.join() === expected(names, index).join() ? got : undefined;
        }),
      ),
    );
    assert.deepEqual([...sets[0]!, ...sets[1]!].sort(), [...names].sort());
    assert.deepEqual(
      sets[0]!.filter((name) => sets[1]!.includes(name)),
      [],
    );
  });
});
