// The exporter starts itself again with MALLOC_ARENA_MAX (exporter/cli/malloc-arenas.ts): the same process
// (the PID the harness started), its command line unchanged, the variable in its environment, and it probes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useLab, requireTools, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const CONFIG = 'targets:\n  - { name: a, host: 10.206.0.1, ping: { interval: 100ms, timeout: 100ms } }\n';

/** NAME=VALUE strings of a process's environment as it is now (after any execve). */
const environment = (pid: number): string[] =>
  readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .filter((entry) => entry !== '');
const commandLine = (pid: number): string[] =>
  readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .filter((arg) => arg !== '');

describe('malloc arenas: the exporter runs with MALLOC_ARENA_MAX', () => {
  const lab = useLab();
  let ns: Netns;
  let plain: ExporterProcess;
  let chosen: ExporterProcess;

  before(async () => {
    requireTools('curl');
    ns = await lab().namespace('arenas');
    await lab().addAnyIp(ns, '10.206.0.0/24');
    plain = await startExporter(ns, CONFIG, 9471);
    chosen = await startExporter(ns, CONFIG, 9472, [], ['env', 'MALLOC_ARENA_MAX=4']);
  });

  after(async () => {
    assert.equal(await plain?.stop(), 0);
    assert.equal(await chosen?.stop(), 0);
  });

  it('started without it: the same PID runs again with MALLOC_ARENA_MAX=2, its command line and standard streams unchanged, and pings', async () => {
    assert.deepEqual(
      environment(plain.pid).filter((entry) => entry.startsWith('MALLOC_ARENA_MAX=')),
      ['MALLOC_ARENA_MAX=2'],
    );
    // Its standard streams survived the execve (Node.js opens them close-on-exec): the log is there.
    assert.match(plain.logs(), /msg="netdiag-exporter started"/);
    const args = commandLine(plain.pid);
    assert.match(args[1] ?? '', /dist\/exporter\/cli\/main\.js$/);
    assert.ok(args.includes('--web.listen-address=127.0.0.1:9471'), args.join(' '));
    await sleep(500);
    const received = select(await plain.scrape(), 'netdiag_ping_received_total', { target: 'a' })[0]?.value;
    assert.ok((received ?? 0) > 2, `pings answered: ${received}`);
  });

  it('started with a value of its own: keeps it, and starts only once', () => {
    assert.deepEqual(
      environment(chosen.pid).filter((entry) => entry.startsWith('MALLOC_ARENA_MAX=')),
      ['MALLOC_ARENA_MAX=4'],
    );
    assert.doesNotMatch(chosen.logs(), /could not start again/);
  });
});
