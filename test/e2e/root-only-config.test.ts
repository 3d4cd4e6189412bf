import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { cliPath, repoRoot } from '../support/paths';

// Root, then nobody, with the config in a directory only root can search (a clone under /root):
// the start loads it; the start-up log says why reloads will fail and how to fix it; the fix it
// names makes the next reload work. Probes loopback only.
interface LogLine {
  msg: string;
  level: string;
  code?: string;
  cause?: string;
  fix?: string;
  file?: string;
  trigger?: string;
  detail?: string;
  added?: number;
  removed?: number;
}

describe('a config only root can read, started as root with --user nobody', () => {
  let dir: string;
  let secret: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-root-only-'));
    chmodSync(dir, 0o755);
    secret = path.join(dir, 'root-only');
    mkdirSync(secret, { mode: 0o700 });
    file = path.join(secret, 'config.yaml');
    writeFileSync(
      file,
      'targets:\n  - { name: lo, host: 127.0.0.1, ping: { interval: 200ms, timeout: 100ms } }\n',
      {
        mode: 0o600,
      },
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'loads, warns at start with the cause and the fix, and reloads once the fix is applied',
    { timeout: 60_000 },
    async () => {
      const child = spawn(
        process.execPath,
        [
          cliPath,
          `--config.file=${file}`,
          '--web.listen-address=127.0.0.1:0',
          '--user=nobody',
          '--log.format=json',
        ],
        { cwd: repoRoot },
      );
      const lines: LogLine[] = [];
      let text = '';
      const waiters: Array<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const parts = text.split('\n');
        text = parts.pop() ?? '';
        for (const part of parts) {
          const line = JSON.parse(part) as LogLine;
          lines.push(line);
          for (const waiter of waiters.filter((w) => w.test(line))) waiter.resolve(line);
        }
      });
      const next = (test: (l: LogLine) => boolean): Promise<LogLine> =>
        new Promise((resolve) => {
          const seen = lines.find(test);
          if (seen) resolve(seen);
          else waiters.push({ test, resolve });
        });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await next((l) => l.msg === 'netdiag-exporter started');
        const warning = lines.find((l) => l.level === 'warn' && l.code === 'ERR_CONFIG_LOAD');
        assert.ok(warning, JSON.stringify(lines));
        assert.equal(
          warning.msg,
          'the config file is not readable by nobody, the user the exporter switched to: every reload will fail until it is',
        );
        assert.equal(warning.cause, 'EACCES');
        assert.equal(warning.file, file);
        assert.match(
          warning.fix ?? '',
          new RegExp(`o\\+x on ${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`),
        );

        // As warned: a reload now fails, and the running config stays.
        child.kill('SIGHUP');
        const refused = await next((l) => l.trigger === 'signal' && l.level === 'error');
        assert.match(refused.detail ?? '', /cannot read: EACCES/);

        // The fix the warning names: the directory searchable, the file readable by others.
        chmodSync(secret, 0o711);
        chmodSync(file, 0o644);
        writeFileSync(
          file,
          'targets:\n  - { name: lo2, host: 127.0.0.1, ping: { interval: 200ms, timeout: 100ms } }\n',
        );
        child.kill('SIGHUP');
        const applied = await next((l) => l.msg === 'config reloaded');
        assert.deepEqual([applied.added, applied.removed], [1, 1]);
      } finally {
        child.kill('SIGTERM');
        assert.equal(await exited, 0, JSON.stringify(lines));
      }
    },
  );
});
