// Target files benchmark (`npm run bench:target-files`; no root, no network). 10,000 targets in
// Prometheus file_sd files (ten NetBox-style JSON exports of 1,000 hosts, name_label: instance, three
// labels each) read by a target group: how long the exporter takes to read and apply them at start,
// to apply one file rewritten while it runs, and what that costs the event loop and memory. The agent
// pings through in-memory transports that send nothing, as in the reload stall benchmark.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, startWithTargetFiles, type Agent } from '../exporter/agent';
import { parseConfig } from '../exporter/config';
import { silentLogger } from '../exporter/logging';
import { createPrometheusPipeline } from '../exporter/metrics';
import { SocketRegistry, type RawTransport, type RawTransportFactory } from '../probes';
import { codeState, machineFacts } from './fixtures/bench-env';
import { publishResults, runBench } from './results-file';

const FILES = 10;
const PER_FILE = 1000;
const REPEATS = 5;

const nullTransports: RawTransportFactory = (options): RawTransport => ({
  family: options.family,
  protocol: options.protocol,
  headerIncluded: options.headerIncluded ?? false,
  send: (_packet, _destination, onSent) => onSent(process.hrtime.bigint()),
  readNow: () => undefined,
  close: () => undefined,
});

/** File `f` of the export; `round` changes the `role` label of its first 100 hosts. */
function exportJson(f: number, round: number): string {
  const entries = [];
  for (let i = 0; i < PER_FILE; i++) {
    const n = f * PER_FILE + i;
    const role = i < 100 ? `role${round % 2}` : 'access';
    entries.push({
      targets: [`10.${100 + f}.${i >> 8}.${i & 255}`],
      labels: { instance: `dev${n}`, site: `s${n % 7}`, role, __meta_netbox_id: String(n) },
    });
  }
  return JSON.stringify(entries, null, 1);
}

function write(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

interface Run {
  wallMs: number;
  stallMs: number;
}

/** Runs `step` while a 1 ms interval timer ticks: its duration and the longest gap between ticks. */
async function measure(step: () => Promise<unknown>): Promise<Run> {
  let last = process.hrtime.bigint();
  let longest = 0n;
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    if (now - last > longest) longest = now - last;
    last = now;
  }, 1);
  const start = process.hrtime.bigint();
  await step();
  const end = process.hrtime.bigint();
  clearInterval(timer);
  if (end - last > longest) longest = end - last;
  return { wallMs: Number(end - start) / 1e6, stallMs: Number(longest) / 1e6 };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number): string => value.toFixed(1);
const row = (what: string, runs: Run[]): string =>
  `| ${what} | ${ms(median(runs.map((r) => r.wallMs)))} | ${ms(median(runs.map((r) => r.stallMs)))} | ` +
  `${ms(Math.max(...runs.map((r) => r.stallMs)))} |`;
const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;
const heapMb = (): number => process.memoryUsage().heapUsed / 2 ** 20;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(2);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'target-files-bench-'));
  const files = Array.from({ length: FILES }, (_, f) => path.join(dir, `netbox-${f}.json`));
  files.forEach((file, f) => write(file, exportJson(f, 0)));
  const config = parseConfig(
    [
      'target_groups:',
      `  - files: ["${dir}/*.json"]`,
      '    name_label: instance',
      '    labels: { source: netbox }',
      '    ping: { interval: 1s, timeout: 1s }',
      '',
    ].join('\n'),
    path.join(dir, 'config.yaml'),
  );
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 100_000 });
  const rows: string[] = [];
  let agent: Agent | undefined;
  const rss = { before: 0, started: 0, settled: 0 };
  const heap = { before: 0, settled: 0 };
  try {
    (globalThis as { gc?: () => void }).gc?.();
    rss.before = rssMb();
    heap.before = heapMb();
    const start = await measure(async () => {
      agent = await startWithTargetFiles({
        config,
        logger: silentLogger,
        store: pipeline.store,
        meter: pipeline.meterProvider.getMeter('bench'),
        startAgent: (composed) =>
          startAgent({
            config: composed,
            meterProvider: pipeline.meterProvider,
            store: pipeline.store,
            logger: silentLogger,
            sockets: new SocketRegistry(nullTransports),
            lookup: () => Promise.reject(new Error('the benchmark resolves no name')),
          }),
      });
    });
    rows.push(row(`start: read ${FILES} files, compose, start ${FILES * PER_FILE} targets`, [start]));
    const running = agent!;
    if (running.config.targets.length !== FILES * PER_FILE)
      throw new Error(`${running.config.targets.length} targets running`);
    rss.started = rssMb();
    await sleep(3000);
    (globalThis as { gc?: () => void }).gc?.();
    rss.settled = rssMb();
    heap.settled = heapMb();
    rows.push(row('idle: the agent pinging them, no file change (3 s)', [await measure(() => sleep(3000))]));

    const roleOf = (): string | undefined =>
      running.config.targets.find((t) => t.name === 'dev0')?.labels.role;
    const changed: Run[] = [];
    for (let round = 1; round <= REPEATS; round++) {
      changed.push(
        await measure(async () => {
          write(files[0]!, exportJson(0, round));
          await until(() => roleOf() === `role${round % 2}`);
        }),
      );
      await sleep(500);
    }
    rows.push(row('one file rewritten (100 of its targets relabelled): write to applied', changed));
    const broken: Run[] = [];
    for (let round = 0; round < REPEATS; round++) {
      broken.push(
        await measure(async () => {
          const text = exportJson(1, round).replace('"10.101.0.5"', '"10.101.0.500"');
          write(files[1]!, round % 2 === 0 ? text : exportJson(1, round));
          await sleep(300);
        }),
      );
    }
    rows.push(row('one file broken, then fixed (300 ms window each): stall of the read', broken));
  } finally {
    await agent?.close();
    await pipeline.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  const bytes = exportJson(0, 0).length;
  publishResults('Target files', [
    `Run ${new Date().toISOString()}: ${machineFacts()}. The machine was shared with five other engineers' builds and tests: figures are noisy.`,
    `Code measured: ${codeState()}.`,
    '',
    `Command: \`node --expose-gc dist/bench/target-files-bench.js\` (no root, no network). ${FILES} file_sd JSON files of ` +
      `${PER_FILE} entries (${(bytes / 1024).toFixed(0)} KiB each: one host, instance, site, role and a __meta label) read by one ` +
      `target group (name_label: instance, ping every 1 s); the agent pings through in-memory transports that send nothing. ` +
      'A rewrite is detected by fs.watch (the 2 s poll is the fallback). Stall: the longest gap between the ticks of a 1 ms ' +
      `setInterval while the step runs; ${REPEATS} runs of the file rows.`,
    '',
    '| step | wall ms (median) | stall ms (median) | stall ms (max) |',
    '|---|---|---|---|',
    ...rows,
    '',
    `Memory: RSS ${rss.before.toFixed(0)} MB before, ${rss.started.toFixed(0)} MB right after the start, ` +
      `${rss.settled.toFixed(0)} MB after 3 s of pinging and a GC; heap ${heap.before.toFixed(0)} MB before, ` +
      `${heap.settled.toFixed(0)} MB then.`,
  ]);
}

runBench(main);
