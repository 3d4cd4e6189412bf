// Memory per series of the two structures every probed target keeps for its whole life (`npm run
// bench:series-memory -- [DIST_A [DIST_B]]`; no root, no network): a loss window (60 s at one result a
// second, full) and a status-page RTT history (a ping's, and a knocked port's) fed for a day and a
// half. Each is made 10,000 times in a child process of its own, with two full garbage collections
// before and after; the figures are the differences over 10,000: V8 heap, array-buffer data, RSS.
// DIST_A and DIST_B are dist/ directories of two builds (bench/snapshot.sh, or a git worktree, then
// `npx tsc -p .`), to compare a change; by default this build's dist/ alone. Three runs each.
// The table goes to the section `## Series memory` of bench/results.md.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as RollingWindowModule from '../exporter/metrics/rolling-window';
import type * as StatusStoreModule from '../exporter/status/status-store';
import { machineFacts } from './fixtures/bench-env';
import { publishResults, runBench } from './results-file';

/** Loads a module of the build under measurement, which is not this build. */
const load = createRequire(__filename);
const SERIES = 10_000;
const RUNS = 3;
const KINDS = ['loss window', 'ping history', 'knock history'] as const;
type Kind = (typeof KINDS)[number];

interface PerSeries {
  heap: number;
  arrayBuffers: number;
  rss: number;
}

function usage(): PerSeries {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { heap: heapUsed, arrayBuffers, rss };
}

/** In the child: makes SERIES series of `kind` from the build at `dist` and prints their cost per series. */
function measure(dist: string, kind: Kind): void {
  const keep: unknown[] = [];
  const before = usage();
  if (kind === 'loss window') {
    const { RollingWindow } = load(
      path.join(dist, 'exporter/metrics/rolling-window.js'),
    ) as typeof RollingWindowModule;
    for (let i = 0; i < SERIES; i++) {
      const window = new RollingWindow(60_000, 60);
      for (let t = 0; t <= 60; t++)
        window.add(t * 1000 + (i % 1000), t % 10 === 0 ? null : 0.001 * (1 + (t % 7)));
      keep.push(window);
    }
  } else {
    const { StatusStore } = load(
      path.join(dist, 'exporter/status/status-store.js'),
    ) as typeof StatusStoreModule;
    let now = 1_000_000;
    const store = new StatusStore({ now: () => now });
    const probe = kind === 'ping history' ? 'ping' : 'knock';
    const targets = Array.from({ length: SERIES }, (_, i) => ({
      name: `t${i}`,
      labels: {},
      probes: [probe],
    }));
    store.configure(targets as never);
    const feeds = targets.map((target) => store.feed(target as never, '10.0.0.1'));
    // A result every 7.3 minutes for a day and a half: every fine and coarse slot written at least once.
    for (let step = 0; step < 300; step++) {
      now += 438;
      for (const feed of feeds)
        if (probe === 'ping') feed.ping({ seq: step, rtt: 0.001 } as never);
        else feed.knock(443, { rtt: 0.001, state: 'open' } as never);
    }
    keep.push(store, feeds);
  }
  const after = usage();
  const per = (field: keyof PerSeries): number => Math.round((after[field] - before[field]) / SERIES);
  console.log(
    JSON.stringify({
      heap: per('heap'),
      arrayBuffers: per('arrayBuffers'),
      rss: per('rss'),
      kept: keep.length,
    }),
  );
}

/** A build by its commit (and whether its code had uncommitted changes), read from its checkout. */
function buildName(dist: string): string {
  const git = (args: string[]): string =>
    execFileSync('git', ['-C', path.dirname(dist), ...args], { encoding: 'utf8' }).trim();
  try {
    const dirty = git(['status', '--short', '--', 'exporter', 'probes']) !== '';
    return `${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' + uncommitted changes' : ''} (${dist})`;
  } catch {
    return dist;
  }
}

function runChild(dist: string, kind: Kind): PerSeries {
  const out = execFileSync(process.execPath, ['--expose-gc', __filename, '--measure', dist, kind], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as PerSeries;
}

async function main(): Promise<void> {
  const dists = process.argv.slice(2).map((dist) => path.resolve(dist));
  if (dists.length === 0) dists.push(path.resolve(__dirname, '..'));
  const lines = [
    `Run ${new Date().toISOString()}: ${machineFacts()}`,
    '',
    `${SERIES.toLocaleString('en')} series of each kind, each in a child process of its own, ${RUNS} runs; bytes per series ` +
      '(V8 heap / array-buffer data / RSS, after two full garbage collections):',
    '',
    `| build | ${KINDS.join(' | ')} |`,
    `|---|${KINDS.map(() => '---').join('|')}|`,
  ];
  for (const dist of dists) {
    const cells = KINDS.map((kind) => {
      const runs = Array.from({ length: RUNS }, () => runChild(dist, kind));
      const list = (field: keyof PerSeries): string => runs.map((run) => run[field]).join(', ');
      return `${list('heap')} / ${list('arrayBuffers')} / ${list('rss')}`;
    });
    lines.push(`| ${buildName(dist)} | ${cells.join(' | ')} |`);
  }
  publishResults('Series memory', lines);
}

if (process.argv[2] === '--measure') measure(process.argv[3]!, process.argv[4] as Kind);
else runBench(main);
