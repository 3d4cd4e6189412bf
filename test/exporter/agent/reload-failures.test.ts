import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigReloader, type Agent, type ReloadTrigger } from '../../../exporter/agent';
import { parseConfig, WorkerConfigLoader, type Config } from '../../../exporter/config';
import { createLogger, type Logger } from '../../../exporter/logging';

const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-reload-failures-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const good = 'targets:\n  - name: a\n    host: 127.0.0.1\n    ping: {}\n';

/** An agent that records what the reloader asks of it. */
function fakeAgent(): Agent & { failures: number; reloads: number } {
  const agent = {
    config: parseConfig(good, 'running.yaml'),
    failures: 0,
    reloads: 0,
    reload: async (config: Config) => {
      agent.reloads++;
      agent.config = config;
      return { added: [], removed: [], changed: [], unchanged: 1, restartedAll: false };
    },
    reloadFailed: () => void agent.failures++,
    close: async () => undefined,
  };
  return agent;
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ write: (line) => lines.push(line), rateLimit: false }), lines };
}

function emfile(): NodeJS.ErrnoException {
  return Object.assign(new Error('EMFILE: too many open files, uv_thread_create'), { code: 'EMFILE' });
}

/** Collects unhandled rejections while `body` runs (and a few turns after). */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown): void => void seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await body();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

describe('ConfigReloader failures other than a bad file', () => {
  for (const trigger of ['signal', 'http'] as const satisfies readonly ReloadTrigger[]) {
    it(`${trigger}: a load that throws or rejects with EMFILE is an outcome, logged with its code, counted; the next reload runs`, async () => {
      const file = path.join(dir, `${trigger}.yaml`);
      writeFileSync(file, good);
      const agent = fakeAgent();
      const { logger, lines } = capture();
      let calls = 0;
      const failures = [
        () => {
          throw new Error('worker spawn failed');
        },
        () => Promise.reject(emfile()),
      ];
      const reloader = new ConfigReloader({
        file,
        agent,
        logger,
        load: (f) => {
          const fail = failures[calls++];
          return fail ? fail() : Promise.resolve(parseConfig(good, f));
        },
      });
      const unhandled = await unhandledDuring(async () => {
        const first = await reloader.reload(trigger);
        assert.deepEqual(first, { ok: false, message: 'reload failed (ERR_UNKNOWN): worker spawn failed' });
        const second = await reloader.reload(trigger);
        assert.equal(second.ok, false);
        assert.match(second.message, /^reload failed \(EMFILE\): EMFILE: too many open files/);
        const third = await reloader.reload(trigger);
        assert.equal(third.ok, true, third.message);
      });
      assert.deepEqual(unhandled, []);
      assert.equal(calls, 3, 'every request ran a load of its own: no cached failure');
      assert.equal(agent.failures, 2);
      assert.equal(agent.reloads, 1);
      const errors = lines.filter((line) => line.includes('level=error'));
      assert.equal(errors.length, 2, lines.join('\n'));
      assert.match(errors[0]!, /code=ERR_UNKNOWN .*err="worker spawn failed"/);
      assert.match(errors[1]!, /code=EMFILE /);
      assert.ok(errors.every((line) => line.includes(`trigger=${trigger}`)));
    });
  }

  it('folded requests after a failure run a new load rather than reusing the failure', async () => {
    const agent = fakeAgent();
    let calls = 0;
    let release: () => void = () => undefined;
    const reloader = new ConfigReloader({
      file: path.join(dir, 'fold.yaml'),
      agent,
      logger: capture().logger,
      load: (f) => {
        calls++;
        if (calls === 1) return new Promise((_, reject) => (release = () => reject(emfile())));
        return Promise.resolve(parseConfig(good, f));
      },
    });
    const unhandled = await unhandledDuring(async () => {
      const running = reloader.reload('http');
      const folded = reloader.reload('signal');
      release();
      assert.equal((await running).ok, false);
      assert.equal((await folded).ok, true);
      assert.equal((await reloader.reload('http')).ok, true);
    });
    assert.deepEqual(unhandled, []);
    assert.equal(calls, 3);
  });

  it('an agent that throws while applying is an outcome too', async () => {
    const agent = fakeAgent();
    agent.reload = () => Promise.reject(new Error('the agent is closed'));
    const reloader = new ConfigReloader({
      file: path.join(dir, 'agent.yaml'),
      agent,
      logger: capture().logger,
      load: (f) => Promise.resolve(parseConfig(good, f)),
    });
    assert.deepEqual(await reloader.reload('http'), {
      ok: false,
      message: 'reload failed (ERR_UNKNOWN): the agent is closed',
    });
    assert.equal(agent.failures, 1);
  });

  it('watch: a failing load on a file change leaves no unhandled rejection and is counted', async () => {
    const file = path.join(dir, 'watched.yaml');
    writeFileSync(file, good);
    const agent = fakeAgent();
    const { logger, lines } = capture();
    let calls = 0;
    const reloader = new ConfigReloader({
      file,
      agent,
      logger,
      load: () => {
        calls++;
        return Promise.reject(emfile());
      },
    });
    const unhandled = await unhandledDuring(async () => {
      reloader.watch(20);
      await new Promise((resolve) => setTimeout(resolve, 100));
      writeFileSync(file, `${good}# changed\n`);
      for (let waited = 0; calls === 0 && waited < 5000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 50));
      reloader.close();
    });
    assert.equal(calls, 1);
    assert.deepEqual(unhandled, []);
    assert.equal(agent.failures, 1);
    assert.ok(
      lines.some((line) => line.includes('trigger=watch') && line.includes('code=EMFILE')),
      lines.join('\n'),
    );
  });
});

describe('ConfigReloader replies to hostile files', () => {
  it('/etc/passwd as the config: the reply and the log carry no line of it', async () => {
    const file = path.join(dir, 'passwd');
    const passwd = [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'alice:x:1000:1000:Alice Secret,,,:/home/alice:/bin/bash',
      '',
    ].join('\n');
    writeFileSync(file, passwd);
    const { logger, lines } = capture();
    const loader = new WorkerConfigLoader();
    const reloader = new ConfigReloader({ file, agent: fakeAgent(), logger, load: (f) => loader.load(f) });
    try {
      const outcome = await reloader.reload('http');
      assert.equal(outcome.ok, false);
      assert.match(outcome.message, new RegExp(`^${file.replace(/[/.]/g, '\\$&')}:1:1: \\(root\\): `));
      // Every line, and every field but "root" (the messages' own "(root)" key path).
      for (const line of passwd.split('\n').filter(Boolean)) {
        for (const part of [line, ...line.split(':').filter((p) => p.length > 2 && p !== 'root')]) {
          assert.ok(!outcome.message.includes(part), `reply quotes "${part}": ${outcome.message}`);
          assert.ok(!lines.join('\n').includes(part), `log quotes "${part}"`);
        }
      }
    } finally {
      await loader.close();
    }
  });

  it('a file of 20,000 bad targets: the reply lists 100 errors and says how many more', async () => {
    const file = path.join(dir, 'many-errors.yaml');
    writeFileSync(file, `targets:\n${'- 1\n'.repeat(20_000)}`);
    const { logger, lines } = capture();
    const loader = new WorkerConfigLoader();
    const reloader = new ConfigReloader({ file, agent: fakeAgent(), logger, load: (f) => loader.load(f) });
    try {
      const outcome = await reloader.reload('http');
      assert.equal(outcome.ok, false);
      const replyLines = outcome.message.split('\n');
      assert.equal(replyLines.length, 101);
      assert.equal(replyLines[100], '… and 19900 more errors');
      assert.equal(replyLines[0], `${file}:2:3: targets[0]: expected a mapping, got the number 1`);
      assert.ok(outcome.message.length < 101 * 200, `reply of ${outcome.message.length} bytes`);
      const logged = lines.filter((line) => line.includes('config rejected'));
      assert.equal(logged.length, 1);
      assert.ok(logged[0]!.includes('errors=20000'), logged[0]);
      assert.ok(logged[0]!.length < 101 * 200, `log line of ${logged[0]!.length} bytes`);
    } finally {
      await loader.close();
    }
  });
});
