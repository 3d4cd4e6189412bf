// Time and heap of one /metrics answer at 10,000 ping targets, rendered in process by the scrape
// handler, split into its collection (MetricStore.snapshot: the observed values read into columns)
// and the whole rendering, in the text and the protobuf exposition. Each target is set up as the
// exporter sets up a ping target (its error series at 0, its addresses and up gauges, a 60 s loss
// and jitter window of one result a second), with 60 s of results behind it on an injected clock,
// and 15 s more (a scrape interval) recorded between two renderings, untimed: the loss, jitter,
// counters and histograms change from one scrape to the next, as they do in a running exporter.
// In-process timings depend on the machine and its load: compare runs of one session (A/B), and
// take CPU figures from `npm run bench:exporter` on a quiet machine.
//
// usage: npm run bench:scrape-time [-- renderings per format, default 15]; SCRAPE_TIME_FORMAT=text or
// protobuf renders that one only; SCRAPE_TIME_PROFILE=FILE writes a CPU profile (.cpuprofile) of the
// renderings alone (no forced garbage collection between them then), SCRAPE_TIME_PROFILE_ROUNDS of
// them (default all) from SCRAPE_TIME_PROFILE_FROM (default 0, the first scrape); SCRAPE_TIME_GC=0
// leaves out the full garbage collection otherwise forced before each rendering (a running exporter
// has none: its renderings find the heap as the probes and the last scrape left it).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { ServerResponse } from 'node:http';
import * as metricsModule from '../exporter/metrics';
import * as configModule from '../exporter/config';
import { CountingResponse } from './fixtures/counting-response';
import { pingTargets, type PingTargets } from './fixtures/ping-targets';

const TARGETS = 10_000;
/** Results recorded between two renderings: Prometheus' default scrape interval of ping results a second. */
const SCRAPE_INTERVAL_SECONDS = 15;
const ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

function setUp(): PingTargets {
  return pingTargets({ metrics: metricsModule, config: configModule }, TARGETS);
}

async function render(
  handler: PingTargets['handler'],
  accept: string | undefined,
): Promise<{ ms: number; cpuMs: number; bytes: number; heapBytes: number }> {
  const response = new CountingResponse();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  handler(
    { headers: accept === undefined ? {} : { accept }, socket: undefined } as never,
    response as unknown as ServerResponse,
  );
  await response.ended;
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { ms, cpuMs, bytes: response.bytes, heapBytes: process.memoryUsage().heapUsed - heapBefore };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const rounds = Math.max(2, Number(process.argv[2] ?? 15));
  const { metrics, handler, advance } = setUp();
  const retained = (): number => {
    gc?.();
    const { heapUsed, external } = process.memoryUsage();
    return heapUsed + external;
  };
  const before = retained();
  const snapshots: number[] = [];
  const snapshotCpu: number[] = [];
  const store = (metrics as unknown as { options: { store: { snapshot(): unknown } } }).options.store;
  for (let k = 0; k < rounds; k++) {
    gc?.();
    const start = performance.now();
    const cpuBefore = process.cpuUsage();
    store.snapshot();
    const cpu = process.cpuUsage(cpuBefore);
    snapshots.push(performance.now() - start);
    snapshotCpu.push((cpu.user + cpu.system) / 1000);
  }
  console.log(`${TARGETS} targets; median of ${rounds} (first excluded: label caches fill at the first)`);
  console.log(
    `collection (MetricStore.snapshot): ${median(snapshots.slice(1)).toFixed(1)} ms, ` +
      `CPU ${median(snapshotCpu.slice(1)).toFixed(1)} ms`,
  );
  const only = process.env.SCRAPE_TIME_FORMAT;
  const profile = await profiler(process.env.SCRAPE_TIME_PROFILE);
  const profileFrom = Number(process.env.SCRAPE_TIME_PROFILE_FROM ?? 0);
  const profileTo = profileFrom + Number(process.env.SCRAPE_TIME_PROFILE_ROUNDS ?? rounds);
  /** A full garbage collection before each rendering (none while profiling), and how long it took. */
  const collect = (): number => {
    if (process.env.SCRAPE_TIME_PROFILE !== undefined || process.env.SCRAPE_TIME_GC === '0' || !gc) return 0;
    const start = performance.now();
    gc();
    return performance.now() - start;
  };
  for (const [name, accept] of [
    ['text', undefined],
    ['protobuf', ACCEPT_PROTOBUF],
  ] as const) {
    if (only !== undefined && only !== name) continue;
    const runs = [];
    const gcMs: number[] = [];
    for (let k = 0; k < rounds; k++) {
      // A scrape interval of results between two scrapes (not timed), as a running exporter has.
      if (k > 0) advance(SCRAPE_INTERVAL_SECONDS);
      gcMs.push(collect());
      if (k === profileFrom) await profile.start();
      runs.push(await render(handler, accept));
      if (k + 1 === profileTo) await profile.stop();
    }
    await profile.stop();
    const rest = runs.slice(1);
    console.log(
      `${name}: first ${runs[0]!.ms.toFixed(1)} ms (CPU ${runs[0]!.cpuMs.toFixed(1)}), ` +
        `then ${median(rest.map((r) => r.ms)).toFixed(1)} ms (min ${Math.min(...rest.map((r) => r.ms)).toFixed(1)}), ` +
        `CPU ${median(rest.map((r) => r.cpuMs)).toFixed(1)} ms (min ${Math.min(...rest.map((r) => r.cpuMs)).toFixed(1)}), ` +
        `${(runs[0]!.bytes / 1e6).toFixed(2)} MB; ` +
        `the first three ${runs
          .slice(0, 3)
          .map((r) => r.ms.toFixed(0))
          .join(', ')} ms` +
        (gc ? `, heap growth ${(median(rest.map((r) => r.heapBytes)) / 1e6).toFixed(1)} MB` : '') +
        (gc ? `; a full gc after the first: ${median(gcMs.slice(1)).toFixed(1)} ms` : ''),
    );
  }
  if (gc) {
    console.log(
      `heap and external memory kept by the scrapes (label caches and pooled chunks): ` +
        `${((retained() - before) / 1e6).toFixed(1)} MB`,
    );
  }
  metrics.close();
  handler.close();
}

/** Starts and stops a CPU profile written to `file` (once); does nothing without a file. */
async function profiler(
  file: string | undefined,
): Promise<{ start(): Promise<void>; stop(): Promise<void> }> {
  if (file === undefined) return { start: async () => {}, stop: async () => {} };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  let state: 'idle' | 'running' | 'done' = 'idle';
  return {
    start: async () => {
      if (state !== 'idle') return;
      state = 'running';
      await session.post('Profiler.start');
    },
    stop: async () => {
      if (state !== 'running') return;
      state = 'done';
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

void main();
