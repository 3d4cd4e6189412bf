import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { ConfigError, formatIssue, loadConfig, WorkerConfigLoader } from '../../../exporter/config';
import { fixturePath, fixturesDir } from './fixture-paths';

const fixtures = (kind: 'valid' | 'invalid'): string[] =>
  readdirSync(path.join(fixturesDir, kind))
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => path.basename(file, '.yaml'))
    .sort();

function assertDeepFrozen(value: unknown, where = 'config'): void {
  if (typeof value !== 'object' || value === null) return;
  assert.ok(Object.isFrozen(value), `${where} is frozen`);
  for (const [key, child] of Object.entries(value)) assertDeepFrozen(child, `${where}.${key}`);
}

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );

/** `count` targets pinged, with labels; `variant` moves t0 to another host. */
function bigConfig(count: number, variant = 0): string {
  const lines = ['defaults:', '  ping: { interval: 1s, timeout: 1s }', 'targets:'];
  for (let i = 0; i < count; i++) {
    const host = i === 0 && variant ? '10.201.0.1' : `10.200.${i >> 8}.${i & 255}`;
    lines.push(`  - { name: t${i}, host: ${host}, ping: {}, labels: { site: s${i % 7}, rack: r${i % 50} } }`);
  }
  return `${lines.join('\n')}\n`;
}

describe('WorkerConfigLoader', () => {
  const loader = new WorkerConfigLoader();
  const dir = mkdtempSync(path.join(tmpdir(), 'worker-config-loader-'));
  after(async () => {
    await loader.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of fixtures('valid')) {
    it(`loads valid/${name} deep-equal to loadConfig, deep-frozen`, async () => {
      const file = fixturePath('valid', name);
      const config = await loader.load(file);
      assert.deepStrictEqual(config, await loadConfig(file));
      assertDeepFrozen(config);
    });
  }

  for (const name of fixtures('invalid')) {
    it(`rejects invalid/${name} with loadConfig's ConfigError`, async () => {
      const file = fixturePath('invalid', name);
      const expected = await rejection(loadConfig(file));
      const error = await rejection(loader.load(file));
      assert.ok(expected instanceof ConfigError);
      assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
      assert.equal(error.code, 'ERR_CONFIG');
      assert.equal(error.message, expected.message);
      assert.deepEqual(error.issues.map(formatIssue), expected.issues.map(formatIssue));
      assert.deepStrictEqual(error.issues, expected.issues);
    });
  }

  it('rejects a file it cannot read as loadConfig does', async () => {
    const file = path.join(dir, 'missing.yaml');
    const error = await rejection(loader.load(file));
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues.map(formatIssue), [`${file}:1:1: (root): cannot read: ENOENT`]);
  });

  it('returns the same objects for targets unchanged since the previous load, new ones for changed targets', async () => {
    const file = path.join(dir, 'reuse.yaml');
    writeFileSync(file, bigConfig(1200));
    const first = await loader.load(file);
    writeFileSync(file, bigConfig(1200, 1));
    const second = await loader.load(file);
    assert.deepStrictEqual(second, await loadConfig(file));
    assert.notEqual(second.targets[0], first.targets[0], 't0 changed: a new object');
    assert.notDeepEqual(second.targets[0], first.targets[0]);
    const reused = second.targets.filter((target, i) => target === first.targets[i]).length;
    assert.equal(reused, 1199, 'every other target is the very same object');
  });

  it('keeps the event loop turning while a 10,000-target config is parsed', async (t) => {
    const file = path.join(dir, 'big.yaml');
    writeFileSync(file, bigConfig(10_000));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = process.hrtime.bigint();
    const config = await new WorkerConfigLoader().load(file);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    clearInterval(timer);
    assert.equal(config.targets.length, 10_000);
    t.diagnostic(`a 5 ms timer fired ${ticks} times during a ${wallMs.toFixed(0)} ms load`);
    // A synchronous loadConfig lets the timer fire 0 times until it returns; here it fires throughout.
    assert.ok(
      ticks >= 10 && ticks >= wallMs / 100,
      `a 5 ms timer fired ${ticks} times during a ${wallMs.toFixed(0)} ms load`,
    );
  });

  it('rejects loads in flight and later loads once closed; close() is idempotent', async () => {
    const closing = new WorkerConfigLoader();
    const file = fixturePath('valid', 'full');
    const inFlight = rejection(closing.load(file));
    await Promise.all([closing.close(), closing.close()]);
    assert.match(String(await inFlight), /the config loader is closed/);
    const later = await rejection(closing.load(file));
    assert.match(String(later), /the config loader is closed/);
    assert.equal((later as { code?: unknown }).code, 'ERR_CLOSED');
  });
});
