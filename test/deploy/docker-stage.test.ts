import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { RUN_USAGE } from '../../exporter/cli/run-command';
import { requireTools, useLab, type Netns } from '../lab';
import { parseSamples, select } from '../support/scrape';
import { replayRuntimeStage, type ReplayedImage } from './runtime-stage';

const CAP_NET_RAW = 1n << 13n;
/** The exporter's host privilege drop (`--user`, when it has one) must be turned off for UID 0 in a container. */
const KNOWS_USER_FLAG = /--user\b/.test(RUN_USAGE);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Launch {
  uid: number;
  gid: number;
  /** Kubernetes `capabilities.add: [NET_RAW]` (with `drop: [ALL]`): NET_RAW bounding, permitted and effective. */
  addNetRaw: boolean;
  /** `allowPrivilegeEscalation: false`. */
  noNewPrivs: boolean;
}

/**
 * capsh doing what runc does before it executes a container's entrypoint: bounding set cut to the
 * added capabilities, UID and GID changed with the capabilities kept, permitted and effective set to
 * the added ones (inheritable and ambient empty), no_new_privs if asked, then execve of the
 * entrypoint itself (no shell in between, which would lose the capabilities).
 */
function runcLike(launch: Launch, argv: string[]): string[] {
  const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  const dropped = Array.from({ length: last + 1 }, (_, cap) => cap).filter(
    (cap) => !(launch.addNetRaw && cap === 13),
  );
  return [
    'capsh',
    `--drop=${dropped.join(',')}`,
    '--keep=1',
    `--gid=${launch.gid}`,
    `--groups=${launch.gid}`,
    `--uid=${launch.uid}`,
    `--caps=${launch.addNetRaw ? 'cap_net_raw+ep' : '='}`,
    ...(launch.noNewPrivs ? ['--no-new-privs'] : []),
    `--shell=${argv[0]}`,
    '--',
    ...argv.slice(1),
  ];
}

interface Running {
  child: ChildProcess;
  logs: () => string;
  exited: Promise<number | null>;
}

function start(ns: Netns, argv: string[]): Running {
  const child = ns.spawn(argv);
  let logs = '';
  child.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, logs: () => logs, exited };
}

async function get(ns: Netns, pathname: string): Promise<{ status: number; body: string }> {
  const url = `http://127.0.0.1:9469${pathname}`;
  const { stdout, code } = await ns.exec(['curl', '-s', '-w', '\n%{http_code}', url], { check: false });
  if (code !== 0) return { status: 0, body: '' };
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

async function waitHealthy(ns: Netns, running: Running): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await get(ns, '/-/healthy')).status === 200) return;
    if (running.child.exitCode !== null) break;
    await sleep(100);
  }
  assert.fail(`the image's command did not start serving:\n${running.logs()}`);
}

/** The effective capabilities and real UID of a process, from /proc. */
function credentials(pid: number): { capEff: bigint; uid: number; noNewPrivs: boolean } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
  return {
    capEff: BigInt(`0x${field('CapEff')}`),
    uid: Number(field('Uid').split(/\s+/)[0]),
    noNewPrivs: field('NoNewPrivs') === '1',
  };
}

describe("the Dockerfile's runtime stage, replayed without Docker (lab namespaces)", () => {
  const lab = useLab();
  let image: ReplayedImage;
  /** The chart's default securityContext: the image's UID, drop ALL, add NET_RAW, allowPrivilegeEscalation false. */
  let chartDefault: Launch;

  before(() => {
    requireTools('curl', 'capsh', 'setcap');
    image = replayRuntimeStage();
    const modules = path.join(image.rootfs, 'app/node_modules');
    assert.ok(
      existsSync(path.join(modules, 'raw-socket/build/Release/raw.node')),
      'the compiled addon survives the prune',
    );
    assert.ok(!existsSync(path.join(modules, 'typescript')), 'dev dependencies are pruned');
    chartDefault = { uid: image.uid, gid: image.gid, addNetRaw: true, noNewPrivs: true };
  });
  after(() => {
    if (image) rmSync(path.dirname(image.rootfs), { recursive: true, force: true });
  });

  it('chart default (non-root, only NET_RAW, no_new_privs): probes the example config, serves, passes HEALTHCHECK', async () => {
    const ns = await lab().namespace('image');
    const running = start(ns, runcLike(chartDefault, image.command));
    await waitHealthy(ns, running);
    const held = credentials(running.child.pid!);
    assert.deepEqual(held, { uid: image.uid, capEff: CAP_NET_RAW, noNewPrivs: true });

    await sleep(2500); // loopback-v4 every 1 s, loopback-v6 every 0.5 s, localhost every 2 s
    const metrics = await get(ns, '/metrics');
    assert.equal(metrics.status, 200);
    const samples = parseSamples(metrics.body);
    for (const target of ['loopback-v4', 'loopback-v6', 'localhost']) {
      const received = select(samples, 'netdiag_ping_received_total', { target });
      const total = received.reduce((sum, s) => sum + s.value, 0);
      assert.ok(total >= 1, `${target} answered: ${JSON.stringify(received)}`);
    }
    const reload = select(samples, 'netdiag_config_last_reload_successful');
    assert.equal(reload[0]?.value, 1, 'the config shipped at /etc/netdiag-exporter/config.yaml loaded');

    const healthy = await ns.exec(runcLike(chartDefault, image.healthcheck), { check: false });
    assert.equal(healthy.code, 0, `HEALTHCHECK while serving: ${healthy.stderr}`);
    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0, `clean stop on SIGTERM:\n${running.logs()}`);
    const down = await ns.exec(runcLike(chartDefault, image.healthcheck), { check: false });
    assert.equal(down.code, 1, 'HEALTHCHECK fails once nothing serves');
  });

  const alternatives: { name: string; launch: () => Launch }[] = [
    {
      name: 'plain `docker run --cap-drop=ALL --cap-add=NET_RAW` (no no_new_privs, nothing permitted before exec)',
      launch: () => ({ uid: image.uid, gid: image.gid, addNetRaw: false, noNewPrivs: false }),
    },
    {
      name: 'the documented alternative: UID 0 with only NET_RAW and no_new_privs',
      launch: () => ({ uid: 0, gid: 0, addNetRaw: true, noNewPrivs: true }),
    },
  ];
  for (const alternative of alternatives) {
    it(`${alternative.name}: starts with exactly CAP_NET_RAW effective`, async (t) => {
      const launch = alternative.launch();
      const ns = await lab().namespace('alt');
      // docker run keeps NET_RAW in the bounding set even when nothing is permitted before exec.
      // Root would otherwise drop to --user (default nobody), which needs CAP_SETUID: stay as is.
      const stayRoot = launch.uid === 0 && KNOWS_USER_FLAG ? ['--user='] : [];
      const argv = runcLike({ ...launch, addNetRaw: true }, [...image.command, ...stayRoot]);
      if (!launch.addNetRaw) argv[argv.indexOf('--caps=cap_net_raw+ep')] = '--caps=';
      const running = start(ns, argv);
      t.after(() => running.child.kill('SIGTERM'));
      await waitHealthy(ns, running);
      assert.deepEqual(credentials(running.child.pid!), {
        uid: launch.uid,
        capEff: CAP_NET_RAW,
        noNewPrivs: launch.noNewPrivs,
      });
      running.child.kill('SIGTERM');
      assert.equal(await running.exited, 0);
    });
  }

  it('without NET_RAW added (drop ALL alone) the file-capable node is not executed at all', async () => {
    const ns = await lab().namespace('nocap');
    const running = start(ns, runcLike({ ...chartDefault, addNetRaw: false }, image.command));
    assert.notEqual(await running.exited, 0);
    assert.match(running.logs(), /execve .* failed/);
  });
});
