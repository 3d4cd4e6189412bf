// Reload stall benchmark (`npm run bench:reload`; no root, no network). How long a reload of a
// 10,000-target config (ping and labels, like the soak benchmark's) blocks the event loop: loading
// the file on the main thread and on a worker thread, the agent applying it (config diff, jobs
// stopped and started), and ConfigReloader.reload end to end. The agent pings through in-memory
// transports that send nothing, so its schedules run as in the exporter without any packet leaving.
// The stall is the longest gap between the ticks of a 1 ms interval timer while the step runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { ConfigReloader, startAgent, type Agent } from '../exporter/agent';
import { loadConfig, WorkerConfigLoader, type Config } from '../exporter/config';
import { silentLogger } from '../exporter/logging';
import { createPrometheusPipeline } from '../exporter/metrics';
import { SocketRegistry, type RawTransport, type RawTransportFactory } from '../probes';
import { codeState, machineFacts } from './fixtures/bench-env';
import { runBench, writeResults } from './results-file';

const TARGETS = Number(process.env.BENCH_RELOAD_TARGETS ?? 10000);
const REPEATS = Number(process.env.BENCH_RELOAD_REPEATS ?? 6);
/** Targets removed by one reload and added back by the next, as in the soak benchmark. */
const CHURN = 500;
if (!Number.isInteger(TARGETS) || TARGETS < 2 * CHURN || TARGETS > 65536)
  throw new Error(`BENCH_RELOAD_TARGETS: ${2 * CHURN} to 65536`);
if (!Number.isInteger(REPEATS) || REPEATS < 2) throw new Error('BENCH_RELOAD_REPEATS: 2 or more');

/** `changed`: the block of CHURN targets after t00000 is left out and t00000 moves to another host. */
function configYaml(changed: boolean): string {
  const lines = ['defaults:', '  ping: { interval: 1s, timeout: 1s }', 'targets:'];
  for (let i = 0; i < TARGETS; i++) {
    if (changed && i >= 1 && i <= CHURN) continue;
    const host = i === 0 && changed ? '10.201.0.1' : `10.200.${i >> 8}.${i & 255}`;
    const name = `t${String(i).padStart(5, '0')}`;
    lines.push(
      `  - { name: ${name}, host: ${host}, ping: {}, labels: { site: s${i % 7}, rack: r${i % 50} } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A transport that sends nothing and never answers: every ping times out, as towards a dead host. */
const nullTransports: RawTransportFactory = (options): RawTransport => ({
  family: options.family,
  protocol: options.protocol,
  headerIncluded: options.headerIncluded ?? false,
  send: (_packet, _destination, onSent) => onSent(process.hrtime.bigint()),
  readNow: () => undefined,
  close: () => undefined,
});

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

async function repeat(step: (round: number) => Promise<unknown>, times = REPEATS): Promise<Run[]> {
  const runs: Run[] = [];
  for (let round = 0; round < times; round++) {
    runs.push(await measure(() => step(round)));
    await sleep(200);
  }
  return runs;
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
/** Runs a busy loop for `ms` on a worker thread. */
const spin = (ms: number): Promise<unknown> =>
  new Promise((resolve, reject) =>
    new Worker(`const end = Date.now() + ${ms}; while (Date.now() < end);`, { eval: true })
      .once('exit', resolve)
      .once('error', reject),
  );
const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;
const collect = async (): Promise<void> => {
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(300);
};

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reload-stall-'));
  const files = [path.join(dir, 'base.yaml'), path.join(dir, 'changed.yaml')] as const;
  writeFileSync(files[0], configYaml(false));
  writeFileSync(files[1], configYaml(true));
  /** Alternate reloads switch between the two files: each one changes 1 target and adds or removes CHURN. */
  const fileOf = (round: number): string => files[round % 2 === 0 ? 1 : 0];
  const lines: string[] = [];
  const log = (line: string): void => {
    console.log(line);
    lines.push(line);
  };
  const loader = new WorkerConfigLoader();
  let rssBefore = 0;
  let rssPeak = 0;
  let rssAfter = 0;
  let agent: Agent | undefined;
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 100_000 });
  try {
    const rows: string[] = [];
    const add = (what: string, runs: Run[]): void => {
      rows.push(row(what, runs));
      console.log(rows.at(-1));
    };
    add('nothing: an idle process (2 s), the noise floor', await repeat(() => sleep(2000), 3));
    add(
      'a worker thread spinning on the other core (2 s): the floor of any worker',
      await repeat(() => spin(2000), 3),
    );
    add('loadConfig on the main thread', await repeat((r) => loadConfig(fileOf(r))));
    add(
      'WorkerConfigLoader.load, first load (every target new)',
      await repeat(async (r) => {
        const fresh = new WorkerConfigLoader();
        await fresh.load(fileOf(r));
        await fresh.close();
      }),
    );
    await loader.load(files[0]);
    add('WorkerConfigLoader.load, slightly changed', await repeat((r) => loader.load(fileOf(r))));
    add('WorkerConfigLoader.load, unchanged', await repeat(() => loader.load(files[0])));
    const missing = path.join(dir, 'missing.yaml');
    add(
      'worker overhead alone: load of a missing file (spawn, module loading, error back)',
      await repeat(() => loader.load(missing).catch(() => undefined)),
    );
    await collect();
    rssBefore = rssMb();
    rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb())), 20);
    await new WorkerConfigLoader().load(files[0]);
    clearInterval(sampler);
    await collect();
    rssAfter = rssMb();

    agent = await startAgent({
      config: await loader.load(files[0]),
      meterProvider: pipeline.meterProvider,
      store: pipeline.store,
      logger: silentLogger,
      sockets: new SocketRegistry(nullTransports),
      lookup: () => Promise.reject(new Error('the benchmark resolves no name')),
    });
    const running = agent;
    await sleep(3000);
    add(`agent pinging ${TARGETS} targets, no reload (3 s)`, await repeat(() => sleep(3000), 3));
    const parsed = [await loadConfig(files[0]), await loadConfig(files[1])] as const;
    add(
      'agent.reload (diff, jobs stopped and started) of a loadConfig result, slightly changed',
      await repeat((r) => running.reload(parsed[r % 2 === 0 ? 1 : 0])),
    );
    const reparsed = await loadConfig(files[0]);
    add('agent.reload of a loadConfig result, unchanged', await repeat(() => running.reload(reparsed)));

    const reloadWith = (load: (file: string) => Promise<Config>, fileAt: (round: number) => string) => {
      let file = '';
      const reloader = new ConfigReloader({
        file: '',
        agent: running,
        logger: silentLogger,
        load: () => load(file),
      });
      return async (round: number): Promise<void> => {
        file = fileAt(round);
        const outcome = await reloader.reload('signal');
        if (!outcome.ok) throw new Error(outcome.message);
      };
    };
    add(
      'ConfigReloader.reload with loadConfig, slightly changed',
      await repeat(reloadWith(loadConfig, fileOf)),
    );
    const viaWorker = (f: string): Promise<Config> => loader.load(f);
    add(
      'ConfigReloader.reload with WorkerConfigLoader, slightly changed',
      await repeat(reloadWith(viaWorker, fileOf)),
    );
    add(
      'ConfigReloader.reload with WorkerConfigLoader, unchanged',
      await repeat(reloadWith(viaWorker, () => files[0])),
    );

    log(`Run ${new Date().toISOString()}: ${machineFacts()}.`);
    log(`Code measured: ${codeState()}.`);
    log('');
    log(
      `Command: \`npm run bench:reload\` (\`node --expose-gc dist/bench/reload-stall.js\`; no root, no network). ` +
        `A config of ${TARGETS} targets, each \`{ name, host, ping: {}, labels: { site, rack } }\` with ping every 1 s ` +
        `(${(configYaml(false).length / 1024).toFixed(0)} KiB of YAML); a "slightly changed" reload alternates between ` +
        `it and the same list without ${CHURN} targets and with one target's host changed (as the soak benchmark). ` +
        `The agent pings through in-memory transports that send nothing (every ping times out), with the ` +
        `exporter's metric store. Stall: the longest gap between the ticks of a 1 ms setInterval while the step ` +
        `runs (the timer's own 1 ms included); ${REPEATS} runs per row, 3 for the reference rows (idle, spinning worker, agent without reload).`,
    );
    log('');
    log('| step | wall ms (median) | stall ms (median) | stall ms (max) |');
    log('|---|---|---|---|');
    for (const line of rows) log(line);
    log('');
    log(
      `Memory: process RSS ${rssBefore.toFixed(0)} MB before a worker load, ${rssPeak.toFixed(0)} MB at most during it ` +
        `(sampled every 20 ms), ${rssAfter.toFixed(0)} MB after it (after a GC): the worker's memory goes with it.`,
    );
  } finally {
    await loader.close();
    await agent?.close();
    await pipeline.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
  writeResults('Reload stall', lines.join('\n'));
}

runBench(main);
