import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startWithTargetFiles, type Agent } from '../../../exporter/agent';
import { parseConfig, type Config } from '../../../exporter/config';
import { silentLogger } from '../../../exporter/logging';
import { FakeClock } from '../../support/fake-clock';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** An agent that records the configs it is given. */
function recordingAgent(
  applied: Config[],
  refuse: () => boolean = () => false,
): (config: Config) => Promise<Agent> {
  return async (first) => {
    applied.push(first);
    const agent: Agent = {
      get config() {
        return applied.at(-1)!;
      },
      reload: async (config) => {
        if (refuse()) throw new Error('refused');
        applied.push(config);
        return { added: [], removed: [], changed: [], unchanged: 0, restartedAll: false };
      },
      reloadFailed: () => undefined,
      close: async () => undefined,
    };
    return agent;
  };
}

const names = (config: Config | undefined): string[] => (config?.targets ?? []).map((t) => t.name);

function configIn(dir: string, labels = 'team: a'): Config {
  return parseConfig(
    `targets: [{ name: gw, host: 192.0.2.1, ping: {} }]\ntarget_groups:\n  - files: [later/*.json]\n    labels: { ${labels} }\n    ping: {}\n`,
    path.join(dir, 'config.yaml'),
  );
}

describe('startWithTargetFiles', () => {
  it('finds a file in a directory created after the start, at the next poll, without any watch event', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-tf-'));
    const clock = new FakeClock();
    const applied: Config[] = [];
    const agent = await startWithTargetFiles({
      config: configIn(dir),
      startAgent: recordingAgent(applied),
      logger: silentLogger,
      clock,
      pollIntervalMs: 5000,
    });
    try {
      assert.deepEqual(names(applied[0]), ['gw']);
      // No directory at the start: nothing could watch it; only the poll can find the file.
      mkdirSync(path.join(dir, 'later'));
      writeFileSync(path.join(dir, 'later', 'x.json'), '[{"targets": ["192.0.2.7"]}]');
      await clock.advance(4999);
      await sleep(100);
      assert.equal(applied.length, 1, 'nothing before the poll');
      await clock.advance(1);
      await until('the poll applies the file', () => applied.length === 2);
      assert.deepEqual(names(applied[1]), ['gw', '192.0.2.7']);
      assert.deepEqual(applied[1]?.targets[1]?.labels, { team: 'a' });
    } finally {
      await agent.close();
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies a reloaded config with its files read again under the new group settings', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-tf-'));
    mkdirSync(path.join(dir, 'later'));
    writeFileSync(path.join(dir, 'later', 'x.json'), '[{"targets": ["192.0.2.7"]}]');
    const applied: Config[] = [];
    let refuse = false;
    const agent = await startWithTargetFiles({
      config: configIn(dir),
      startAgent: recordingAgent(applied, () => refuse),
      logger: silentLogger,
      clock: new FakeClock(),
    });
    try {
      assert.deepEqual(applied[0]?.targets[1]?.labels, { team: 'a' });
      await agent.reload(configIn(dir, 'team: b'));
      assert.deepEqual(applied[1]?.targets[1]?.labels, { team: 'b' });
      refuse = true;
      await assert.rejects(agent.reload(configIn(dir, 'team: c')), /refused/);
      assert.equal(applied.length, 2);
      assert.deepEqual(agent.config.targets[1]?.labels, { team: 'b' });
    } finally {
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('composes nothing at a poll that read no file anew (10,000 targets composed every 2 s before)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-tf-'));
    mkdirSync(path.join(dir, 'later'));
    writeFileSync(path.join(dir, 'later', 'x.json'), '[{"targets": ["192.0.2.7"]}]');
    const clock = new FakeClock();
    const applied: Config[] = [];
    let composed = 0;
    const agent = await startWithTargetFiles({
      config: configIn(dir),
      startAgent: recordingAgent(applied),
      logger: silentLogger,
      clock,
      pollIntervalMs: 1000,
      finish: (config) => {
        composed++;
        return config;
      },
    });
    try {
      assert.equal(composed, 1);
      for (let poll = 0; poll < 3; poll++) {
        await clock.advance(1000);
        await sleep(50);
      }
      assert.equal(composed, 1, 'three polls, no file changed');
      writeFileSync(path.join(dir, 'later', 'x.json'), '[{"targets": ["192.0.2.7", "192.0.2.8"]}]');
      await clock.advance(1000);
      await until('the poll applies the change', () => applied.length === 2);
      assert.equal(composed, 2);
      assert.deepEqual(names(applied[1]), ['gw', '192.0.2.7', '192.0.2.8']);
    } finally {
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
