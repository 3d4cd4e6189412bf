// Two builds of the exporter side by side (run as root: `npm run bench:exporter-pair -- DIST_A DIST_B`):
// each build's exporter pings N addresses of its own lab (bench:exporter's lab and targets, one lab per
// exporter so that neither raw socket sees the other's replies), both pinned to the same CPU and
// measured over the same windows. This VM runs the same code up to a third slower from one hour to the
// next (bench/results.md, "Exporter, 2026-12-03 evening"), so runs taken one after another, as
// bench:exporter-ab takes them, cannot tell a few per cent apart; two exporters measured at once see the
// same machine, and their difference is the change's. Both share one CPU, so each reads more than it
// would alone: compare the two, not either with bench:exporter.
//
// DIST_A, DIST_B: the dist/ directories of two copies of the repository (bench/snapshot.sh, then
// `npx tsc -p .` and `npm run install` in each). The table goes to the section
// `## Exporter side by side: BENCH_PAIR_LABEL` of bench/results.md.
//
// usage: BENCH_PAIR_LABEL='...' npm run bench:exporter-pair -- /tmp/a/dist /tmp/b/dist; BENCH_PAIR_TARGETS
//   (default 10000), BENCH_PAIR_WINDOWS (default 4), BENCH_DURATION (window seconds, default 30),
//   BENCH_PIN (CPU, default 1).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createLab, requireTools, type Lab } from '../test/lab';
import type { ExporterProcess } from '../test/support/exporter-process';
import { loadBefore, machineFacts } from './fixtures/bench-env';
import { buildDirectLab } from './fixtures/direct-lab';
import { benchAddresses, exporterConfig } from './fixtures/exporter-targets';
import { namespacePids } from './fixtures/ns-processes';
import { fix } from './fixtures/exporter-window';
import { publishResults, runBench } from './results-file';

const TARGETS = Number(process.env.BENCH_PAIR_TARGETS ?? 10_000);
const WINDOWS = Number(process.env.BENCH_PAIR_WINDOWS ?? 4);
const DURATION = Number(process.env.BENCH_DURATION ?? 30);
const PIN = process.env.BENCH_PIN ?? '1';
const LABEL = process.env.BENCH_PAIR_LABEL ?? '';
const WARMUP_MS = 15_000;
const PORTS = [9897, 9898] as const;
const DISTS = process.argv.slice(2).map((dir) => path.resolve(dir));
if (!Number.isInteger(TARGETS) || TARGETS < 1 || TARGETS > 65536)
  throw new Error(`BENCH_PAIR_TARGETS: ${TARGETS}`);
if (!Number.isInteger(WINDOWS) || WINDOWS < 1) throw new Error(`BENCH_PAIR_WINDOWS: ${WINDOWS}`);
if (!Number.isFinite(DURATION) || DURATION < 1) throw new Error(`BENCH_DURATION: ${DURATION}`);
if (LABEL === '' || DISTS.length !== 2)
  throw new Error('BENCH_PAIR_LABEL and two dist directories are required (see the usage)');

/** utime and stime of a process, in seconds (clock ticks of 100 Hz). */
function cpuOf(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

interface Reading {
  user: number;
  system: number;
}

async function main(): Promise<void> {
  requireTools('curl', 'taskset');
  const started = new Date();
  const facts = machineFacts();
  const load = loadBefore();
  const config = exporterConfig(benchAddresses(TARGETS));
  const labs: Lab[] = [];
  const exporters: ExporterProcess[] = [];
  const readings: Reading[][] = [[], []];
  try {
    const pids: number[] = [];
    for (const [i, dist] of DISTS.entries()) {
      const lab = await createLab();
      labs.push(lab);
      const { client } = await buildDirectLab(lab);
      // Each build's own harness starts its own main.js.
      const { startExporter } = (await import(
        path.join(dist, 'test', 'support', 'exporter-process.js')
      )) as typeof import('../test/support/exporter-process');
      exporters.push(
        await startExporter(client, config, PORTS[i], [], PIN === '' ? [] : ['taskset', '-c', PIN]),
      );
      const [pid] = namespacePids(client, (cmd) => cmd.includes('main.js') && cmd.includes(`:${PORTS[i]}`));
      if (pid === undefined) throw new Error(`no exporter process for ${dist}`);
      pids.push(pid);
    }
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    for (let window = 1; window <= WINDOWS; window++) {
      const before = pids.map(cpuOf);
      const opened = performance.now();
      await new Promise((resolve) => setTimeout(resolve, DURATION * 1000));
      const after = pids.map(cpuOf);
      const seconds = (performance.now() - opened) / 1000;
      for (const i of [0, 1]) {
        readings[i]!.push({
          user: (after[i]!.user - before[i]!.user) / seconds,
          system: (after[i]!.system - before[i]!.system) / seconds,
        });
      }
      console.error(
        `window ${window}: ` +
          [0, 1].map((i) => `${'AB'[i]} ${fix(readings[i]!.at(-1)!.user, 3)} user`).join(', '),
      );
    }
  } finally {
    for (const exporter of exporters) await exporter.stop().catch(() => undefined);
    for (const lab of labs) await lab.destroy();
  }
  const mean = (i: number, of: (r: Reading) => number): number =>
    readings[i]!.reduce((sum, r) => sum + of(r), 0) / readings[i]!.length;
  const row = (what: string, of: (r: Reading) => number): string =>
    `| ${what} | ${readings[0]!.map((r) => fix(of(r), 3)).join(', ')} | ${readings[1]!
      .map((r) => fix(of(r), 3))
      .join(
        ', ',
      )} | ${fix(mean(0, of), 3)} | ${fix(mean(1, of), 3)} | ${fix(mean(1, of) - mean(0, of), 3)} |`;
  const lines = [
    `Run ${started.toISOString()}: ${facts}. ${load.line}` +
      (load.disturbed ? ` **${load.disturbed}.**` : ''),
    `A: ${DISTS[0]}; B: ${DISTS[1]}.`,
    '',
    `${TARGETS} ping targets (every 1 s, timeout 1 s) per exporter, each in a lab of its own (bench:exporter's), ` +
      `both ${PIN === '' ? 'unpinned' : `pinned to CPU ${PIN}`} at once; ${WINDOWS} windows of ${DURATION} s after ` +
      `${WARMUP_MS / 1000} s of warm-up, no scrape. Cores per window:`,
    '',
    '| figure | A, each window | B, each window | A, mean | B, mean | B − A |',
    '|---|---|---|---|---|---|',
    row('user', (r) => r.user),
    row('system', (r) => r.system),
    row('CPU', (r) => r.user + r.system),
    '',
  ];
  publishResults(`Exporter side by side: ${LABEL}`, lines);
}

runBench(main);
