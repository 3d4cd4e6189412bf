import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { cliPath, repoRoot } from '../support/paths';

const UNIT = path.join(repoRoot, 'deploy', 'systemd', 'netdiag-exporter.service');
const text = readFileSync(UNIT, 'utf8');

/** Every `Key=value` of the unit, values of repeated keys in order. */
function settings(unit: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) found.set(match[1]!, [...(found.get(match[1]!) ?? []), match[2]!]);
  }
  return found;
}
const unit = settings(text);
const one = (key: string): string => {
  const values = unit.get(key);
  assert.equal(values?.length, 1, `${key} set once`);
  return values[0]!;
};

describe('deploy/systemd/netdiag-exporter.service', () => {
  it('runs as a user of its own with CAP_NET_RAW only, reloads with SIGHUP, leaves exit 2 alone', () => {
    assert.equal(one('DynamicUser'), 'yes');
    assert.equal(one('AmbientCapabilities'), 'CAP_NET_RAW');
    assert.equal(one('CapabilityBoundingSet'), 'CAP_NET_RAW');
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(one('RestartPreventExitStatus'), '2');
    // Raw sockets are AF_INET/AF_INET6; V8's JIT needs writable executable memory.
    assert.deepEqual(one('RestrictAddressFamilies').split(' ').slice(0, 2), ['AF_INET', 'AF_INET6']);
    assert.equal(unit.has('MemoryDenyWriteExecute'), false);
    assert.equal(unit.has('PrivateNetwork'), false);
  });

  it('passes systemd-analyze verify (with ExecStart pointing at this build)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-unit-'));
    try {
      const copy = path.join(dir, 'netdiag-exporter.service');
      writeFileSync(copy, text.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath} ${cliPath}`));
      const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      assert.equal(verify.error, undefined, 'systemd-analyze (Debian: systemd) is needed');
      assert.equal(verify.status, 0, verify.stderr);
      assert.equal(verify.stderr, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('its command line, under the credentials it grants', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'netdiag-unit-run-'));
      chmodSync(dir, 0o755);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it(
      'probes, serves and reloads as an unprivileged user with only CAP_NET_RAW',
      { timeout: 60_000 },
      async () => {
        const config = path.join(dir, 'config.yaml');
        writeFileSync(
          config,
          'targets:\n  - { name: lo, host: 127.0.0.1, ping: { interval: 200ms, timeout: 100ms } }\n',
        );
        // ExecStart's flags, the config and port swapped for this test's.
        const flags = one('ExecStart')
          .split(' ')
          .slice(1)
          .map((flag) =>
            flag.startsWith('--config.file=')
              ? `--config.file=${config}`
              : flag.startsWith('--web.listen-address=')
                ? '--web.listen-address=127.0.0.1:0'
                : flag,
          );
        // What systemd sets up for the unit: another user, CAP_NET_RAW ambient and bounding, no new privileges.
        const child = spawn('setpriv', [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--inh-caps=-all,+net_raw',
          '--ambient-caps=-all,+net_raw',
          '--bounding-set=-all,+net_raw',
          '--no-new-privs',
          process.execPath,
          cliPath,
          ...flags,
          '--log.format=json',
        ]);
        let stderr = '';
        const seen = (pattern: RegExp): Promise<RegExpExecArray> =>
          new Promise((resolve) => {
            const check = (): void => {
              const match = pattern.exec(stderr);
              if (match) {
                child.stderr.off('data', check);
                resolve(match);
              }
            };
            child.stderr.on('data', check);
            check();
          });
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        try {
          const url = (await seen(/"msg":"listening","address":"([^"]+)"/))[1]!;
          await seen(/"msg":"netdiag-exporter started"/);
          assert.doesNotMatch(stderr, /switched user/);
          const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
          for (const set of ['CapEff', 'CapBnd', 'CapAmb'])
            assert.match(status, new RegExp(`^${set}:\\s+0000000000002000$`, 'm'), status);
          await new Promise((resolve) => setTimeout(resolve, 600));
          const metrics = await (await fetch(`${url}/metrics`)).text();
          assert.match(metrics, /^netdiag_build_info\{/m);
          assert.match(metrics, /^netdiag_ping_sent_total\{[^}]*target="lo"[^}]*\} [1-9]/m);
          child.kill('SIGHUP'); // ExecReload
          await seen(/"msg":"config reloaded"/);
        } finally {
          child.kill('SIGTERM');
          assert.equal(await exited, 0, stderr);
        }
      },
    );
  });
});
