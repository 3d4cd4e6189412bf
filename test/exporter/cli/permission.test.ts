import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliPath, repoRoot } from '../../support/paths';

const run = promisify(execFile);

/** Runs the CLI as root without CAP_NET_RAW (setpriv drops it from the bounding set). */
async function withoutNetRaw(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run('setpriv', ['--bounding-set=-net_raw', '--inh-caps=-net_raw', 'node', cliPath, ...args], {
      cwd: repoRoot,
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('without CAP_NET_RAW', () => {
  for (const [what, args] of [
    ['the ping command', ['ping', '127.0.0.1', '-c', '1']],
    ['the exporter', ['--config.file=config.example.yaml', '--web.listen-address=127.0.0.1:0']],
  ] as const) {
    it(`${what} stops with exit code 2 and says how to grant the capability`, async () => {
      const { code, stderr } = await withoutNetRaw([...args]);
      assert.equal(code, 2);
      assert.match(stderr, /needs root or CAP_NET_RAW/);
      assert.match(stderr, /setcap cap_net_raw\+ep/);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    });
  }
});
