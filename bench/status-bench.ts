// Status page benchmark (`npm run bench:status`; no root, no network beyond loopback). With 10,000
// targets fed synthetic results (ping and one knocked port each, a trace for one in ten, a day of
// results a minute apart so every slot of both rings is written, ten errors each): the memory the
// status store holds per target, the time of /api/v1/targets (a page of 100, worst first, and
// filtered) and of one target's detail, and the load of the index and of a target page in Debian's
// chromium (headless, puppeteer-core) until their tables and graph are drawn.
import { performance } from 'node:perf_hooks';
import puppeteer from 'puppeteer-core';
import { silentLogger } from '../exporter/logging';
import { ExporterServer } from '../exporter/server';
import { StatusRoutes, StatusStore } from '../exporter/status';
import type { StatusTarget } from '../exporter/status';
import type { TraceResult } from '../probes';
import { codeState, machineFacts } from './fixtures/bench-env';
import { publishResults, runBench } from './results-file';

const TARGETS = Number(process.env.BENCH_STATUS_TARGETS ?? 10000);
const REPEATS = 20;
const PAGE_LOADS = 5;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function memory(): number {
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

function traceResult(i: number): TraceResult {
  const branch = (b: number): string[] => [
    '10.1.0.1',
    `10.2.${b}.1`,
    `10.3.${b}.1`,
    '10.4.0.1',
    '10.5.0.1',
    '10.6.0.1',
    '10.7.0.1',
    `10.8.${i >> 8}.${i & 255}`,
  ];
  const paths = [branch(0), branch(1)];
  return {
    destination: paths[0]![7]!,
    family: 4,
    protocol: 'udp',
    firstHop: 1,
    hops: paths[0]!.map((_, h) => ({
      ttl: h + 1,
      responders: [...new Set(paths.map((p) => p[h]!))].map((address) => ({
        address,
        kind: 'hop' as const,
        rtts: Array.from({ length: 8 }, (_, k) => 0.001 * (h + 1) + k * 1e-5),
        flows: [0, 1, 2, 3, 4, 5, 6, 7],
      })),
      sent: 16,
      received: 16,
      sendFailures: 0,
      late: 0,
      loss: 0,
    })),
    flows: [],
    paths: paths.map((hops, p) => ({ hash: `${p}`.padStart(16, '0'), hops, flows: [p] })),
    reached: true,
    hopsToDestination: 8,
    pathSetHash: 'ab'.repeat(8),
    duration: 0.2,
    probes: 16 * 8,
  };
}

async function timed(run: () => Promise<unknown>, repeats: number): Promise<{ median: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, max: times[times.length - 1]! };
}

async function main(): Promise<void> {
  const clock = { now: 1_700_000_000 };
  const before = memory();
  const store = new StatusStore({ now: () => clock.now });
  const targets: StatusTarget[] = Array.from({ length: TARGETS }, (_, i) => ({
    name: `t${String(i).padStart(5, '0')}`,
    labels: { site: `s${i % 7}`, rack: `r${i % 50}` },
    probes: i % 10 === 0 ? ['ping', 'knock', 'trace'] : ['ping', 'knock'],
  }));
  store.configure(targets);
  // One feed per target and address, made when its probes start, as the probers do.
  const feeds = targets.map((t) => store.feed(t, '10.9.0.1'));
  const fillStart = performance.now();
  // A day, a result a minute per series: every slot of both rings is written once.
  for (let minute = 0; minute < 24 * 60; minute++) {
    clock.now = 1_700_000_000 + minute * 60;
    for (let i = 0; i < TARGETS; i++) {
      const feed = feeds[i]!;
      const lost = (i + minute) % 50 === 0;
      feed.ping({ seq: minute, rtt: lost ? null : 0.001 + (i % 100) * 1e-4 });
      feed.knock(443, {
        seq: minute,
        rtt: lost ? null : 0.002,
        ...(lost ? {} : { state: 'open' as const }),
        sourcePort: 40000,
        sequence: 1,
      });
    }
  }
  const fillMs = performance.now() - fillStart;
  // Then as the exporter feeds it: every series once a second for two minutes (a slot rolls over
  // once in 60 results, not at each).
  const steadyStart = performance.now();
  for (let second = 1; second <= 120; second++) {
    clock.now = 1_700_000_000 + 24 * 3600 + second;
    for (let i = 0; i < TARGETS; i++) {
      const feed = feeds[i]!;
      feed.ping({ seq: second, rtt: 0.001 + (i % 100) * 1e-4 + (second % 7) * 1e-5 });
      feed.knock(443, { seq: second, rtt: 0.002, state: 'open', sourcePort: 40000, sequence: 1 });
    }
  }
  const steadyNs = ((performance.now() - steadyStart) * 1e6) / (120 * 2 * TARGETS);
  for (let i = 0; i < TARGETS; i++) {
    if (i % 10 === 0) feeds[i]!.trace(traceResult(i));
    for (let e = 0; e < 10; e++)
      feeds[i]!.failed('ping', 'unreachable', `ICMP type 3 code 1 from 10.9.${e}.1`);
  }
  const held = memory() - before;
  const historyBytes = store.historyBytes;

  const server = await ExporterServer.listen({
    listen: { host: '127.0.0.1', port: 0 },
    logger: silentLogger,
    metrics: (_request, response) => response.end(''),
    status: new StatusRoutes({ store, reload: false }),
  });
  const get = async (p: string): Promise<number> =>
    (await (await fetch(`${server.url}${p}`)).arrayBuffer()).byteLength;
  const listBytes = await get('/api/v1/targets');
  const list = await timed(() => get('/api/v1/targets'), REPEATS);
  const filtered = await timed(() => get('/api/v1/targets?name=t01&label=site%3Ds3&sort=p90'), REPEATS);
  const lastPage = await timed(() => get('/api/v1/targets?per_page=1000&page=10&sort=name'), REPEATS);
  const detailBytes = await get('/api/v1/targets/t00010');
  const detail = await timed(() => get('/api/v1/targets/t00010'), REPEATS);

  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    pipe: true,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  let indexLoad;
  let targetLoad;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    indexLoad = await timed(async () => {
      await page.goto(`${server.url}/`);
      await page.waitForFunction("document.querySelectorAll('#targets tbody tr').length === 100");
    }, PAGE_LOADS);
    targetLoad = await timed(async () => {
      await page.goto(`${server.url}/target?name=t00010`);
      await page.waitForFunction("document.querySelectorAll('.branches g.branch-node').length > 0");
    }, PAGE_LOADS);
  } finally {
    await browser.close();
    await server.close();
  }
  const ms = (x: number): string => `${x.toFixed(1)} ms`;
  publishResults('Status page', [
    `Run ${new Date().toISOString()}: ${machineFacts()}. The machine was shared with other engineers' builds and tests: timings are indicative.`,
    `Code measured: ${codeState()}.`,
    '',
    `${TARGETS} targets, each with ping and one knocked port (two RTT series), a trace for one in ten (8 hops, 2 branches), 10 errors each; a day of results a minute apart (every slot written; ${ms(fillMs)} to feed ${2 * TARGETS * 24 * 60} results).`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| feeding a result, every series once a second (the exporter's case), mean | ${(steadyNs / 1000).toFixed(2)} µs |`,
    `| feeding a result, each in a new minute slot (the fill above), mean | ${((fillMs * 1000) / (2 * TARGETS * 24 * 60)).toFixed(2)} µs |`,
    `| RTT history (typed arrays) per target, two series | ${(historyBytes / TARGETS).toFixed(0)} B |`,
    `| store memory per target (heap + array buffers after gc, traces and errors included) | ${(held / TARGETS).toFixed(0)} B |`,
    `| store memory, all ${TARGETS} targets | ${(held / 2 ** 20).toFixed(1)} MiB |`,
    `| GET /api/v1/targets (100 worst first, ${(listBytes / 1024).toFixed(0)} KiB), median / max of ${REPEATS} | ${ms(list.median)} / ${ms(list.max)} |`,
    `| GET /api/v1/targets filtered by name and label, sorted by p90 | ${ms(filtered.median)} / ${ms(filtered.max)} |`,
    `| GET /api/v1/targets per_page=1000, page 10, by name | ${ms(lastPage.median)} / ${ms(lastPage.max)} |`,
    `| GET /api/v1/targets/{name} (traced target, ${(detailBytes / 1024).toFixed(0)} KiB) | ${ms(detail.median)} / ${ms(detail.max)} |`,
    `| index page in chromium until 100 rows drawn, median / max of ${PAGE_LOADS} | ${ms(indexLoad.median)} / ${ms(indexLoad.max)} |`,
    `| target page in chromium until graphs and path drawn | ${ms(targetLoad.median)} / ${ms(targetLoad.max)} |`,
  ]);
}

runBench(main);
