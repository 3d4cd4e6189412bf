// Exporter benchmark of issue 3 (run as root: `npm run bench:exporter`). Builds a lab (client and
// target namespaces joined by a plain veth, a 10.200.0.0/16 AnyIP range on the target) and, for N
// targets each pinged every second, runs netdiag-exporter, prometheus-smokeping-prober and `fping
// -l` one after another in the client namespace. For each it measures, over the same window after a
// warm-up: CPU (user and system, /proc/<pid>/stat), peak RSS (VmHWM), /metrics time and size, sent
// vs received, and the mean RTT to one reference address minus that of iputils ping run alongside.
// The table goes to the `## Exporter` section of bench/results.md.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLab, requireTools, type Netns } from '../test/lab';
import { startExporter, type ExporterProcess } from '../test/support/exporter-process';
import { parseIputilsSummary, type IputilsSummary } from '../test/support/iputils';
import { cliPath } from '../test/support/paths';
import { parseSamples, select, type Sample } from '../test/support/scrape';
import {
  commandLine,
  fpingSplit,
  machineCpu,
  peakRssMb,
  processesCpu,
  type FpingTargetSummary,
} from './fixtures/exporter-proc';
import { codeState, loadBefore as loadBeforeRun, machineFacts, toolVersion } from './fixtures/bench-env';
import { benchAddresses, exporterConfig, fpingTargets, smokepingConfig } from './fixtures/exporter-targets';
import { alive, namespacePids, terminate } from './fixtures/ns-processes';
import { publishResults, runBench } from './results-file';
import { addIputilsSource, buildDirectLab } from './fixtures/direct-lab';

const DURATION = Number(process.env.BENCH_DURATION ?? 60);
const WARMUP = 10;
/** Target counts; BENCH_SIZES=100,1000 (comma-separated) for development. */
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
if (SIZES.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error(`BENCH_SIZES: ${process.env.BENCH_SIZES}`);
const SCRAPES = 5;
/**
 * Protobuf scrapes, and how many of them come first in a process (bench/results.md, "Exporter: the
 * scrape's cost": the first encodes every label set, the second is the first to reuse the encodings):
 * Prometheus scrapes a running exporter every 15–60 s, so the median from the third on is the scrape
 * it sees; the median of all is kept beside it.
 */
const PROTO_SCRAPES = 8;
const PROTO_COLD = 2;
/**
 * CPUs every tool is pinned to (taskset -a, all threads) from its start: BENCH_PIN=1 by default, so
 * that the figures measure the tool rather than where the VM's scheduler puts it (unpinned, identical
 * runs of netdiag-exporter measured 0.21 to 0.37 core: each wake-up may land on the other vCPU). BENCH_PIN= (empty)
 * runs unpinned; those figures go to their own section of the results.
 */
const PIN = process.env.BENCH_PIN ?? '1';
/**
 * netdiag-exporter runs at the largest size (BENCH_REPEATS, default 3), the last ones after the
 * other tools: this VM has spells of tens of seconds in which the same process uses up to half as
 * much CPU again (measured pinned, 5 s samples: 20-22 %, then 28-33 %). The verdict takes the median.
 */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
if (!Number.isInteger(REPEATS) || REPEATS < 1) throw new Error(`BENCH_REPEATS: ${process.env.BENCH_REPEATS}`);
const SECTION = PIN === '' ? 'Exporter, unpinned' : 'Exporter';
/** Echo requests on the wire in the window at least this fraction of N × window seconds: the tool kept up. */
const KEPT_UP = 0.99;
/** fping 5.x has 65,536 sequence numbers that expire after 10 s: at most ~6,500 pings/s per process. */
const FPING_TARGETS_PER_PROCESS = 5000;
const EXPORTER_PORT = 9469;
/** More of the machine than this busy outside the measured tool, in cores: say the row may be disturbed. */
const DISTURBED_CORES = 0.15;
const SMOKEPING_PORT = 9374;
const SMOKEPING = '/usr/bin/prometheus-smokeping-prober';

if (!Number.isFinite(DURATION) || DURATION < 1)
  throw new Error(`BENCH_DURATION: not a duration: ${DURATION}`);

/** Cumulative counters of a tool at one instant. */
interface Counters {
  sent: number;
  received: number;
  /** Probes the tool itself counted as failed (timeouts, errors), when it counts them. */
  failed: number | null;
  /** RTT sum (seconds) and count of the reference address. */
  refSum: number;
  refCount: number;
  /** Other figures worth a note (exporter: event-loop delay since the previous scrape). */
  notes: Record<string, number>;
}

/** A tool running in the client namespace. */
interface Running {
  /** The processes measured (CPU summed; peak RSS summed). */
  readonly pids: number[];
  /** null for tools without a /metrics endpoint. */
  readonly metricsUrl: string | null;
  counters(): Promise<Counters>;
  /** Why a process of the tool ended before it was stopped, or null while all run. */
  exited(): string | null;
  /** Lines of the tool's own output worth a note. */
  remarks(): string[];
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

interface Tool {
  name: string;
  start(ns: Netns, addrs: string[], reference: string): Promise<Running>;
}

interface Row {
  targets: number;
  tool: string;
  /** The CPUs it was pinned to; '' unpinned. */
  pin: string;
  /** Which of the repeated runs ("2 of 3"), when repeated. */
  run?: string;
  /** Why there are no figures, if there are none. */
  failure?: string;
  /** Seconds between the two reads of the wire counter. */
  window?: number;
  /** Echo requests from the tool's address that reached the target namespace in the window. */
  wire?: number;
  /** The tool's own counts over the window. */
  sent?: number;
  received?: number;
  failed?: number | null;
  cpuUser?: number;
  cpuSystem?: number;
  /** Machine-wide busy cores minus the tool's, over the CPU window. */
  rest?: number;
  steal?: number;
  /** Peak RSS at the end of the window, and after the timed scrapes. */
  rssWindowMb?: number;
  rssMb?: number;
  scrapeSeconds?: number | null;
  scrapeMb?: number | null;
  scrapeCpu?: number | null;
  /** The same scrapes asking for the protobuf exposition (native histograms). */
  scrapeProtoSeconds?: number | null;
  /** Their median from the third on (PROTO_COLD). */
  scrapeProtoSteadySeconds?: number | null;
  scrapeProtoMb?: number | null;
  refRtt?: number | null;
  iputils?: IputilsSummary;
  notes: string[];
}

/* ------------------------------------------------------------------------------------------------
 * Processes
 * ---------------------------------------------------------------------------------------------- */

/** Keeps the last `limit` characters a stream wrote (a chatty child must be read or it blocks). */
function tail(stream: NodeJS.ReadableStream | null, limit = 64 * 1024): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    if (text.length > 2 * limit) text = text.slice(-limit);
  });
  return () => text.slice(-limit);
}

function exitWatch(child: ChildProcess, describe: () => string): () => string | null {
  let reason: string | null = null;
  const started = Date.now();
  child.once('exit', (code, signal) => {
    reason = `exited after ${((Date.now() - started) / 1000).toFixed(1)} s (${code ?? signal}): ${describe()}`;
  });
  return () => reason;
}

/** Warning/error lines of the exporter's log so far, and the runs its overrun warnings say were skipped. */
function logCounts(logs: string): { warnLines: number; skippedRuns: number } {
  let warnLines = 0;
  let skippedRuns = 0;
  for (const line of logs.split('\n')) {
    if (!/level=(warn|error)/.test(line)) continue;
    warnLines++;
    const skipped = /skipped=(\d+)/.exec(line);
    if (skipped) skippedRuns += Number(skipped[1]);
  }
  return { warnLines, skippedRuns };
}

const sum = (samples: Sample[]): number => samples.reduce((total, s) => total + s.value, 0);
const first = (samples: Sample[]): number => samples[0]?.value ?? 0;

async function curlBody(ns: Netns, url: string): Promise<string> {
  const { stdout } = await ns.exec(['curl', '-sf', '--max-time', '60', url], { timeoutMs: 70_000 });
  return stdout;
}

/* ------------------------------------------------------------------------------------------------
 * The three tools
 * ---------------------------------------------------------------------------------------------- */

const netdiag: Tool = {
  name: 'netdiag-exporter',
  async start(ns, addrs, reference) {
    const exporter: ExporterProcess = await startExporter(ns, exporterConfig(addrs), EXPORTER_PORT);
    const pids = namespacePids(ns, (cmd) => cmd.includes(cliPath));
    if (pids.length !== 1) {
      await exporter.stop();
      throw new Error(`expected one exporter process in ${ns.name}, found ${pids.length}`);
    }
    const pid = pids[0]!;
    return {
      pids,
      metricsUrl: `${exporter.url}/metrics`,
      async counters() {
        const samples = await exporter.scrape();
        const ref = { address: reference };
        return {
          sent: sum(select(samples, 'netdiag_ping_sent_total')),
          received: sum(select(samples, 'netdiag_ping_received_total')),
          failed: sum(select(samples, 'netdiag_probe_errors_total', { probe: 'ping' })),
          refSum: first(select(samples, 'netdiag_ping_rtt_seconds_sum', ref)),
          refCount: first(select(samples, 'netdiag_ping_rtt_seconds_count', ref)),
          notes: {
            loopP99: first(select(samples, 'netdiag_event_loop_delay_seconds', { stat: 'p99' })),
            loopMax: first(select(samples, 'netdiag_event_loop_delay_seconds', { stat: 'max' })),
            ...logCounts(exporter.logs()),
          },
        };
      },
      exited: () => (alive(pid) ? null : `exited early:\n${exporter.logs().slice(-2000)}`),
      remarks() {
        const warning = /^.*level=(warn|error).*$/m.exec(exporter.logs());
        return warning ? [`first warning or error of the run: \`${warning[0].slice(0, 200)}\``] : [];
      },
      async stop() {
        const stopped = exporter.stop(); // SIGTERM, resolves when the process has exited
        const exited = await Promise.race([stopped.then(() => true), sleep(10_000).then(() => false)]);
        if (!exited) {
          console.error(`  the exporter ignored SIGTERM for 10 s: SIGKILL`);
          process.kill(pid, 'SIGKILL');
        }
        await stopped;
      },
    };
  },
};

const smokeping: Tool = {
  name: 'smokeping_prober (udp)',
  async start(ns, addrs, reference) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'netdiag-bench-'));
    const file = path.join(dir, 'smokeping.yml');
    writeFileSync(file, smokepingConfig(addrs));
    const base = `http://127.0.0.1:${SMOKEPING_PORT}`;
    const child = ns.spawn([
      SMOKEPING,
      `--config.file=${file}`,
      `--web.listen-address=127.0.0.1:${SMOKEPING_PORT}`,
    ]);
    const out = tail(child.stdout);
    const err = tail(child.stderr);
    const exited = exitWatch(child, () => err().slice(-2000));
    const pid = child.pid!;
    const stop = async (): Promise<void> => {
      await terminate([pid]);
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      for (let attempt = 0; ; attempt++) {
        const res = await ns.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/`], {
          check: false,
        });
        if (res.stdout === '200') break;
        if (attempt > 200 || exited() !== null) throw new Error(`smokeping_prober did not start: ${err()}`);
        await sleep(100);
      }
    } catch (error) {
      await stop();
      throw error;
    }
    if (!commandLine(pid).includes(SMOKEPING)) throw new Error(`pid ${pid} is not smokeping_prober`);
    return {
      pids: [pid],
      metricsUrl: `${base}/metrics`,
      async counters() {
        const samples = parseSamples(await curlBody(ns, `${base}/metrics`));
        const ref = { ip: reference };
        return {
          sent: sum(select(samples, 'smokeping_requests_total')),
          received: sum(select(samples, 'smokeping_response_duration_seconds_count')),
          failed: null,
          refSum: first(select(samples, 'smokeping_response_duration_seconds_sum', ref)),
          refCount: first(select(samples, 'smokeping_response_duration_seconds_count', ref)),
          notes: {},
        };
      },
      exited,
      remarks() {
        const lines = `${out()}\n${err()}`.split('\n');
        const bad = lines.filter((l) => /level=(warn|error)/.test(l));
        return bad.length === 0 ? [] : [`log: \`${bad[bad.length - 1]!.slice(0, 200)}\``];
      },
      stop,
    };
  },
};

/** `fping -l` over `processes` processes sharing the targets (1: the plain run). */
function fping(processes: number): Tool {
  return {
    name: processes === 1 ? 'fping -l' : `fping -l (${processes} processes)`,
    async start(ns, addrs, reference) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'netdiag-bench-'));
      const chunk = Math.ceil(addrs.length / processes);
      const runs = Array.from({ length: processes }, (_, k) => {
        const mine = addrs.slice(k * chunk, (k + 1) * chunk);
        const file = path.join(dir, `targets-${k}.txt`);
        writeFileSync(file, fpingTargets(mine));
        // -p 1000: each target every second; -t 1000: 1 s timeout; -i 0: no minimum gap between two
        // sends (root only), the only way 10,000 pings per second fit; -Q 3600: quiet (no line per
        // reply), interval summaries on SIGQUIT only (the periodic one would come after an hour)
        const child = ns.spawn([
          'fping',
          '-l',
          '-p',
          '1000',
          '-t',
          '1000',
          '-i',
          '0',
          '-Q',
          '3600',
          '-f',
          file,
        ]);
        let stderr = '';
        child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
        child.stdout?.resume();
        const exited = exitWatch(child, () => stderr.slice(0, 500).trim());
        return { child, pid: child.pid!, targets: mine.length, stderr: () => stderr, exited };
      });
      const pids = runs.map((r) => r.pid);
      const totals = { sent: 0, received: 0, refSum: 0, refCount: 0 };
      const stop = async (): Promise<void> => {
        await terminate(pids);
        rmSync(dir, { recursive: true, force: true });
      };
      await sleep(500);
      const exited = (): string | null =>
        runs.map((r) => r.exited()).find((reason) => reason !== null) ?? null;
      if (exited() !== null) {
        await stop();
        throw new Error(`fping did not start: ${exited()}`);
      }
      return {
        pids,
        metricsUrl: null,
        /** Sums of every interval summary so far: fping resets its counters at each SIGQUIT. */
        async counters() {
          const marks = runs.map((r) => r.stderr().length);
          for (const r of runs) r.child.kill('SIGQUIT');
          const deadline = Date.now() + 20_000;
          const splits: Array<Map<string, FpingTargetSummary>> = [];
          for (const [k, r] of runs.entries()) {
            for (;;) {
              const split = fpingSplit(r.stderr().slice(marks[k]), r.targets);
              if (split) {
                splits.push(split);
                break;
              }
              if (r.exited() !== null || Date.now() > deadline)
                throw new Error(`no fping summary after SIGQUIT: ${r.exited() ?? 'timeout'}`);
              await sleep(20);
            }
          }
          for (const split of splits) {
            for (const [addr, t] of split) {
              totals.sent += t.sent;
              totals.received += t.received;
              if (addr === reference && t.avg !== null) {
                totals.refSum += t.avg * t.received;
                totals.refCount += t.received;
              }
            }
          }
          return { ...totals, failed: null, notes: {} };
        },
        exited,
        remarks: () => [],
        stop,
      };
    },
  };
}

/* ------------------------------------------------------------------------------------------------
 * One measurement
 * ---------------------------------------------------------------------------------------------- */

/** The lab as the measurements see it. */
interface Bench {
  /** The client namespace, where the tools run. */
  ns: Netns;
  /** Echo requests from the tools' address (the client's primary one) counted in the target namespace. */
  wire: () => Promise<number>;
  /** A second client address, iputils' source, so that its requests stay out of `wire`. */
  iputilsSource: string;
}

function pin(pids: readonly number[], cpus: string): void {
  for (const pid of pids) {
    const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${result.stderr.trim()}`);
  }
}

/** What Prometheus sends with native histograms on (2.42): the protobuf exposition first. */
const ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3';

/** `count` scrapes of `url` with curl inside `ns` (`headers`: more curl arguments): times and sizes. */
async function timedScrapes(
  ns: Netns,
  url: string,
  headers: string[],
  notes: string[],
  count = SCRAPES,
): Promise<{ times: number[]; sizes: number[] }> {
  const times: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await ns.exec(
      [
        'curl',
        '-sf',
        '-o',
        '/dev/null',
        '--max-time',
        '60',
        '-w',
        '%{time_total} %{size_download}',
        ...headers,
        url,
      ],
      { timeoutMs: 70_000, check: false },
    );
    const [time, size] = res.stdout.trim().split(' ').map(Number);
    if (res.code !== 0 || time === undefined || size === undefined || !Number.isFinite(time)) {
      notes.push(
        `scrape ${i + 1}${headers.length > 0 ? ' (protobuf)' : ''} failed (curl exit code ${res.code})`,
      );
      continue;
    }
    times.push(time);
    sizes.push(size);
  }
  return { times, sizes };
}

/** Runs `tool` against `addrs`: warm-up, measured window, timed scrapes; always stops it. */
async function measure(
  bench: Bench,
  tool: Tool,
  addrs: string[],
  reference: string,
  cpus = PIN,
): Promise<Row> {
  const { ns } = bench;
  const row: Row = { targets: addrs.length, tool: tool.name, pin: cpus, notes: [] };
  console.error(`${new Date().toISOString()} ${tool.name}, ${addrs.length} targets: starting`);
  let running: Running;
  try {
    running = await tool.start(ns, addrs, reference);
  } catch (error) {
    row.failure = `did not start: ${(error as Error).message.split('\n')[0]}`;
    return row;
  }
  try {
    if (cpus !== '') pin(running.pids, cpus);
    const warmEnd = Date.now() + WARMUP * 1000;
    while (Date.now() < warmEnd && running.exited() === null) await sleep(100);
    const early = running.exited();
    if (early !== null) {
      row.failure = early.split('\n')[0]!;
      return row;
    }
    console.error(`  warm-up done, measuring ${DURATION} s`);

    const iputils = ns.exec(
      ['ping', '-q', '-I', bench.iputilsSource, '-i', '0.2', '-w', String(DURATION), reference],
      { check: false, timeoutMs: (DURATION + 30) * 1000 },
    );
    iputils.catch(() => undefined); // awaited below, unless the window is cut short
    const w0 = await bench.wire();
    const t0 = performance.now();
    const c0 = await running.counters();
    const cpu0 = processesCpu(running.pids);
    const m0 = machineCpu();
    const tc0 = performance.now();
    await sleep(Math.max(0, t0 + DURATION * 1000 - performance.now()));
    const gone = running.exited();
    if (gone !== null) {
      row.failure = `during the window: ${gone.split('\n')[0]}`;
      return row;
    }
    const cpu1 = processesCpu(running.pids);
    const m1 = machineCpu();
    const tc1 = performance.now();
    const w1 = await bench.wire();
    const t1 = performance.now();
    const c1 = await running.counters();
    const ping = await iputils;
    try {
      row.iputils = parseIputilsSummary(ping.stdout);
    } catch {
      // no summary: reported below
    }
    if (row.iputils?.avg === null || row.iputils?.avg === undefined) {
      row.notes.push(
        `iputils ping gave no mean RTT (exit code ${ping.code}): ` +
          `\`${`${ping.stdout}${ping.stderr}`.trim().replace(/\s+/g, ' ')}\``,
      );
    }

    const cpuWindow = (tc1 - tc0) / 1000;
    row.window = (t1 - t0) / 1000;
    row.wire = w1 - w0;
    row.sent = c1.sent - c0.sent;
    row.received = c1.received - c0.received;
    row.failed = c1.failed === null || c0.failed === null ? null : c1.failed - c0.failed;
    row.cpuUser = (cpu1.user - cpu0.user) / cpuWindow;
    row.cpuSystem = (cpu1.system - cpu0.system) / cpuWindow;
    row.rest = (m1.busy - m0.busy) / cpuWindow - row.cpuUser - row.cpuSystem;
    row.steal = (m1.steal - m0.steal) / cpuWindow;
    const refCount = c1.refCount - c0.refCount;
    row.refRtt = refCount > 0 ? (c1.refSum - c0.refSum) / refCount : null;
    if (c1.notes.loopP99 !== undefined && c1.notes.loopMax !== undefined) {
      row.notes.push(
        `event-loop delay over the window (netdiag_event_loop_delay_seconds): p99 ${ms(c1.notes.loopP99)} ms, ` +
          `max ${ms(c1.notes.loopMax)} ms`,
      );
    }
    const warnLines = (c1.notes.warnLines ?? 0) - (c0.notes.warnLines ?? 0);
    if (warnLines > 0) {
      const skipped = (c1.notes.skippedRuns ?? 0) - (c0.notes.skippedRuns ?? 0);
      row.notes.push(
        `${warnLines} warning/error log lines during the window; "ticks skipped" ` +
          `warnings report ${skipped} skipped probe runs`,
      );
    }
    const cores = os.cpus().length;
    const saturated = row.cpuUser + row.cpuSystem >= 0.9 * cores;
    if (saturated) {
      row.notes.push(
        `used ${(row.cpuUser + row.cpuSystem).toFixed(2)} of the ${cores} cores: the machine is saturated, ` +
          'its figures (RTT above all) are those of a CPU-starved process, and its CPU per scrape is not measurable',
      );
    }
    row.rssWindowMb = running.pids.map(peakRssMb).reduce((a, b) => a + b, 0);

    row.scrapeSeconds = null;
    row.scrapeMb = null;
    row.scrapeCpu = null;
    row.scrapeProtoSeconds = null;
    row.scrapeProtoSteadySeconds = null;
    row.scrapeProtoMb = null;
    if (running.metricsUrl !== null) {
      const before = processesCpu(running.pids);
      const started = performance.now();
      const { times, sizes } = await timedScrapes(ns, running.metricsUrl, [], row.notes);
      const after = processesCpu(running.pids);
      // what the probing alone would have used meanwhile, at the window's rate, is not the scrapes'
      const probing = (row.cpuUser + row.cpuSystem) * ((performance.now() - started) / 1000);
      row.scrapeSeconds = median(times);
      row.scrapeMb = median(sizes) === null ? null : median(sizes)! / 1e6;
      row.scrapeCpu = times.length
        ? (after.user + after.system - before.user - before.system - probing) / times.length
        : null;
      // The same scrapes in the protobuf exposition (native histograms), after the CPU reading.
      const proto = await timedScrapes(
        ns,
        running.metricsUrl,
        ['-H', `Accept: ${ACCEPT_PROTOBUF}`],
        row.notes,
        PROTO_SCRAPES,
      );
      row.scrapeProtoSeconds = median(proto.times);
      row.scrapeProtoSteadySeconds = median(proto.times.slice(PROTO_COLD));
      if (proto.times.length > 0)
        row.notes.push(`protobuf scrapes in order (s): ${proto.times.map((t) => fix(t, 3)).join(', ')}`);
      row.scrapeProtoMb = median(proto.sizes) === null ? null : median(proto.sizes)! / 1e6;
      if (saturated) row.scrapeCpu = null; // the probing rate is not a baseline when scrapes displace it
    }
    row.rssMb = running.pids.map(peakRssMb).reduce((a, b) => a + b, 0);
    row.notes.push(...running.remarks());
    return row;
  } catch (error) {
    row.failure = `measurement failed: ${(error as Error).message.split('\n')[0]}`;
    return row;
  } finally {
    await running.stop();
    const left = namespacePids(ns, () => true);
    if (left.length > 0) {
      console.error(
        `  processes left in ${ns.name}: ${left.map((p) => `${p} ${commandLine(p)}`).join('; ')}`,
      );
      await terminate(left, 2000);
    }
  }
}

/* ------------------------------------------------------------------------------------------------
 * Report
 * ---------------------------------------------------------------------------------------------- */

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const ms = (seconds: number): string => (seconds * 1000).toFixed(1);
const us = (seconds: number | null | undefined): string =>
  seconds === null || seconds === undefined ? 'n/a' : (seconds * 1e6).toFixed(1);
const fix = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined ? 'n/a' : value.toFixed(digits);

function offset(row: Row): number | null {
  const iputils = row.iputils?.avg ?? null;
  return row.refRtt === null || row.refRtt === undefined || iputils === null ? null : row.refRtt - iputils;
}

function expected(row: Row): number {
  return row.targets * (row.window ?? 0);
}

function keptUp(row: Row): boolean {
  return row.wire !== undefined && row.wire >= KEPT_UP * expected(row);
}

const COLUMNS = [
  'targets',
  'tool',
  'kept up (on the wire / expected)',
  'sent on the wire',
  'expected',
  'sent (own count)',
  'received (own count)',
  'own sent − received',
  'failed (own count)',
  'CPU (cores)',
  'user',
  'system',
  'rest of machine (cores)',
  'peak RSS: window / after scrapes (MB)',
  '/metrics median (s)',
  '/metrics size (MB)',
  'CPU s per scrape',
  '/metrics protobuf median (s)',
  `/metrics protobuf median from scrape ${PROTO_COLD + 1} (s)`,
  'protobuf size (MB)',
  'ref. mean RTT (µs)',
  'iputils mean (µs)',
  'RTT offset (µs)',
];

/** The tool, and where it ran when that is not the section's rule. */
function toolCell(row: Row): string {
  const where = row.pin === PIN ? '' : `, ${row.pin === '' ? 'unpinned' : `CPUs ${row.pin}`}`;
  return `${row.tool}${where}${row.run === undefined ? '' : ` (run ${row.run})`}`;
}

function tableRow(row: Row): string {
  if (row.failure !== undefined) {
    const why = row.failure.replace(/\|/g, '/');
    return `| ${row.targets} | ${toolCell(row)} | **no**: ${why} |${' n/a |'.repeat(COLUMNS.length - 3)}`;
  }
  const ratio = row.wire! / expected(row);
  const own = (value: number | null | undefined): string =>
    value === null || value === undefined ? 'n/a' : String(value);
  const cells = [
    String(row.targets),
    toolCell(row),
    `${keptUp(row) ? 'yes' : '**no**'} (${(ratio * 100).toFixed(1)} %)`,
    String(row.wire),
    expected(row).toFixed(0),
    own(row.sent),
    own(row.received),
    own(row.sent! - row.received!),
    own(row.failed),
    fix(row.cpuUser! + row.cpuSystem!, 3),
    fix(row.cpuUser, 3),
    fix(row.cpuSystem, 3),
    fix(row.rest, 2),
    `${fix(row.rssWindowMb, 0)} / ${fix(row.rssMb, 0)}`,
    fix(row.scrapeSeconds, 3),
    fix(row.scrapeMb, 2),
    fix(row.scrapeCpu, 3),
    fix(row.scrapeProtoSeconds, 3),
    fix(row.scrapeProtoSteadySeconds, 3),
    fix(row.scrapeProtoMb, 2),
    us(row.refRtt),
    us(row.iputils?.avg),
    us(offset(row)),
  ];
  return `| ${cells.join(' | ')} |`;
}

function machineFactsLine(): string {
  return machineFacts([
    `smokeping_prober ${toolVersion([SMOKEPING, '--version'], /version ([\d.]+)/)}`,
    `fping ${toolVersion(['fping', '--version'], /Version ([\d.]+)/)}`,
    `iputils ${toolVersion(['ping', '-V'], /iputils ([\w.]+)/)}`,
  ]);
}

function targetsBlock(rows: Row[]): string[] {
  const size = SIZES[SIZES.length - 1];
  const ourRuns = rows.filter((r) => r.targets === size && r.tool === netdiag.name);
  const theirRuns = rows.filter((r) => r.targets === size && r.tool === smokeping.name);
  const theirs =
    theirRuns.find((r) => r.failure === undefined && keptUp(r)) ??
    theirRuns.find((r) => r.failure === undefined) ??
    theirRuns[0];
  const lines = [`Targets of issues 3 and 15 at ${size} targets (netdiag-exporter):`, ''];
  const verdict = (met: boolean, what: string, figure: string): void => {
    lines.push(`- ${what}: **${met ? 'met' : 'not met'}** (${figure})`);
  };
  const failed = ourRuns.find((r) => r.failure !== undefined);
  if (ourRuns.length === 0 || failed) {
    lines.push(`- none measurable: ${failed?.failure ?? 'no run'}`);
    return lines;
  }
  const runs = ourRuns.length;
  const over = runs === 1 ? '' : ` over ${runs} runs`;
  const cpus = ourRuns.map((r) => r.cpuUser! + r.cpuSystem!);
  const cpu = median(cpus)!;
  const each = runs === 1 ? '' : ` (runs: ${cpus.map((c) => c.toFixed(3)).join(', ')})`;
  verdict(cpu <= 0.25, 'CPU at most 0.25 core', `median ${cpu.toFixed(3)} core${each}`);
  if (theirs && theirs.failure === undefined) {
    const their = theirs.cpuUser! + theirs.cpuSystem!;
    verdict(cpu < their, "CPU below smokeping_prober's", `${cpu.toFixed(3)} vs ${their.toFixed(3)} core`);
  } else {
    lines.push(`- CPU below smokeping_prober's: not measurable (${theirs?.failure ?? 'no run'})`);
  }
  const rss = Math.max(...ourRuns.map((r) => r.rssMb!));
  verdict(rss < 300, 'peak RSS under 300 MB', `at most ${rss.toFixed(0)} MB${over}`);
  const lost = ourRuns.reduce((sum, r) => sum + (r.failed ?? 0), 0);
  const wire = ourRuns.reduce((sum, r) => sum + r.wire!, 0);
  const due = ourRuns.reduce((sum, r) => sum + expected(r), 0);
  verdict(
    lost === 0 && ourRuns.every(keptUp),
    'no lost probes',
    `${lost} probes failed (timeouts) by the exporter's own count${over}; ${wire} of ` +
      `${due.toFixed(0)} expected echo requests went out (${((wire / due) * 100).toFixed(1)} %)`,
  );
  const offsets = ourRuns.map(offset);
  if (offsets.some((off) => off === null))
    lines.push('- RTT offset under 100 µs (absolute): not measured (no mean RTT, see the notes)');
  else {
    const worst = Math.max(...offsets.map((off) => Math.abs(off!)));
    verdict(
      worst < 100e-6,
      'RTT offset under 100 µs (absolute)',
      `${offsets.map((off) => us(off)).join(', ')} µs`,
    );
  }
  const scrapes = ourRuns.map((r) => r.scrapeSeconds ?? Infinity);
  verdict(
    Math.max(...scrapes) < 1,
    'scrape under 1 s',
    `median ${scrapes.map((t) => fix(t, 3)).join(', ')} s${over}, ${fix(ourRuns[0]!.scrapeMb, 1)} MB`,
  );
  // Issue 15's goals for the protobuf exposition.
  const proto = ourRuns.map((r) => r.scrapeProtoSteadySeconds ?? Infinity);
  verdict(
    Math.max(...proto) < 0.1,
    `protobuf scrape under 0.1 s (median from scrape ${PROTO_COLD + 1})`,
    `${proto.map((t) => fix(t, 3)).join(', ')} s${over}; all ${PROTO_SCRAPES}: ` +
      `${ourRuns.map((r) => fix(r.scrapeProtoSeconds, 3)).join(', ')} s`,
  );
  const thirds = ourRuns.map((r) => (r.scrapeProtoMb ?? Infinity) / (r.scrapeMb ?? 0));
  verdict(
    Math.max(...thirds) <= 1 / 3,
    'protobuf answer at most a third of the text',
    `${thirds.map((share) => `${(share * 100).toFixed(0)} %`).join(', ')} of the text's bytes`,
  );
  return lines;
}

async function main(): Promise<void> {
  requireTools('ping', 'curl', 'fping', 'nft');
  const started = new Date();
  const codeBefore = codeState();
  const facts = machineFactsLine();
  const load = loadBeforeRun();
  const rows: Row[] = [];
  const lab = await createLab();
  try {
    const { client, target, link } = await buildDirectLab(lab);
    // the tools send from the client's primary address; iputils from a second one, not counted
    const iputilsSource = await addIputilsSource(lab, link);
    const wire = await lab.counter(
      target,
      'bench_requests',
      `ip saddr ${link.a.ipv4} icmp type echo-request`,
    );
    const bench: Bench = { ns: client, wire, iputilsSource };

    for (const size of SIZES) {
      const addrs = benchAddresses(size);
      const reference = addrs[Math.floor(size / 2)]!;
      for (const tool of [netdiag, smokeping, fping(1)]) {
        const row = await measure(bench, tool, addrs, reference);
        rows.push(row);
        console.error(`  ${tableRow(row)}`);
        for (const note of row.notes) console.error(`    ${note}`);
        const short = row.failure !== undefined || !keptUp(row);
        if (row.pin !== '' && short && tool.name !== 'fping -l') {
          // smokeping_prober at 10,000 targets needs more than one CPU (it falls behind, or its scrapes time out)
          const unpinned = await measure(bench, tool, addrs, reference, '');
          rows.push(unpinned);
          console.error(`  ${tableRow(unpinned)}`);
        }
        const processes = Math.ceil(size / FPING_TARGETS_PER_PROCESS);
        if (tool.name === 'fping -l' && row.failure !== undefined && processes > 1) {
          // fping's sequence numbers run out above ~6,500 pings/s: split the targets over processes
          const split = await measure(bench, fping(processes), addrs, reference);
          rows.push(split);
          console.error(`  ${tableRow(split)}`);
        }
      }
      if (size === SIZES[SIZES.length - 1] && REPEATS > 1) {
        rows.find((r) => r.targets === size && r.tool === netdiag.name)!.run = `1 of ${REPEATS}`;
        for (let k = 2; k <= REPEATS; k++) {
          const again = await measure(bench, netdiag, addrs, reference);
          again.run = `${k} of ${REPEATS}`;
          rows.push(again);
          console.error(`  ${tableRow(again)}`);
        }
      }
    }
  } finally {
    await lab.destroy();
  }

  const codeAfter = codeState();
  const rests = rows.flatMap((r) => (r.rest === undefined ? [] : [r.rest]));
  const steals = rows.flatMap((r) => (r.steal === undefined ? [] : [r.steal]));
  const maxRest = rests.length ? Math.max(...rests) : 0;
  const maxSteal = steals.length ? Math.max(...steals) : 0;
  const lines = [
    `Run ${started.toISOString()}: ${facts}. ${load.line}` +
      (load.disturbed ? ` **All rows ${load.disturbed}.**` : ''),
    `Code measured: ${codeBefore}.` +
      (codeAfter === codeBefore
        ? ''
        : ` By the end of the run it had become: ${codeAfter} (changed meanwhile).`),
    '',
    'How each figure is measured:',
    '',
    `- Setup: each tool alone in the client namespace (never two at once), pinging N AnyIP addresses of the`,
    `  target namespace (plain veth, no delay, no loss) every 1 s with a 1 s timeout; ${WARMUP} s warm-up,`,
    `  then a ${DURATION} s window opened and closed by a read of the tool's counters. For the exporters that`,
    `  read is a /metrics scrape, so the window holds one scrape, at its start (as a 60 s scrape interval would).`,
    PIN === ''
      ? '- CPUs: the tools run unpinned, wherever the scheduler puts them.'
      : `- CPUs: each tool pinned to CPU ${PIN} (\`taskset -a -p -c ${PIN}\` on all its processes and threads,`,
    ...(PIN === ''
      ? []
      : [
          "  right after it starts); its packets' softirq work runs there too. A tool that fails or falls behind",
          '  pinned is measured again unpinned (the row says so). `BENCH_PIN=` runs every tool unpinned, into',
          '  the section "Exporter, unpinned".',
        ]),
    `- netdiag-exporter: \`node dist/exporter/cli/main.js --config.file=... --web.listen-address=127.0.0.1:${EXPORTER_PORT}\``,
    '  (started by test/support/exporter-process.ts, which adds --log.level=debug; nothing is logged per probe).',
    '  smokeping_prober: config-file mode, one host group with `protocol: udp` (ICMP echo sockets, open',
    '  net.ipv4.ping_group_range), `network: ip4`, `size: 56`. fping, as root:',
    '  `fping -l -p 1000 -t 1000 -i 0 -Q 3600 -f FILE` (`-i 0`: no minimum gap between sends; `-Q`: no line per reply).',
    '- CPU (cores): utime and stime of /proc/<pid>/stat (all threads; summed over processes) from the end of',
    '  the opening read to the start of the closing one, divided by that time. System time includes the target',
    "  namespace answering, since a veth delivers in the sender's context. Scrapes are not in it: CPU s per",
    `  scrape is the tool's CPU over the ${SCRAPES} timed scrapes, minus probing at the window's rate`,
    `  meanwhile, divided by ${SCRAPES}.`,
    "- Rest of machine: busy cores from /proc/stat minus the tool's, over the same time: the bench driver,",
    '  iputils, softirq work done outside the tool, and any other work on the machine.',
    '- Peak RSS: VmHWM of /proc/<pid>/status (summed over processes) at the end of the window, and after the',
    '  timed scrapes.',
    `- /metrics: ${SCRAPES} scrapes after the window with \`curl -w '%{time_total} %{size_download}'\` inside the`,
    '  namespace; median time and size.',
    `- /metrics protobuf: ${PROTO_SCRAPES} more scrapes asking for the protobuf exposition (Prometheus' Accept header with`,
    '  native histograms on), after the CPU reading; median time and size, and the median time from',
    `  scrape ${PROTO_COLD + 1} on: the first ${PROTO_COLD} of a process encode its label sets (the times in order are in the notes),`,
    '  a running exporter scraped every 15–60 s answers as the later ones. Prometheus ingests 20 series per RTT',
    '  histogram and target from the text (17 buckets, +Inf, _count, _sum), 1 native histogram from the protobuf.',
    "- Sent on the wire: echo requests from the tools' source address counted by an nft rule in the target",
    "  namespace between two reads at the window's edges (the window is the time between them). Expected =",
    `  N × window; kept up = on the wire at least ${KEPT_UP * 100} % of expected.`,
    "- Own counts: deltas of the tool's counters between the reads that open and close the window (a scrape",
    '  may read them up to its own duration late). Exporter: netdiag_ping_sent_total and',
    '  netdiag_ping_received_total summed over series; "failed" is netdiag_probe_errors_total{probe="ping"}',
    '  (timeouts and errors). smokeping_prober: smokeping_requests_total and',
    '  smokeping_response_duration_seconds_count. fping: its per-target summaries, printed on SIGQUIT at both',
    '  ends of the window. Own sent − received also counts probes in flight at the window edges.',
    "- RTT offset: mean RTT to one reference address of the set (the middle one) from the tool's histogram",
    '  _sum/_count deltas (fping: its per-target average, printed in ms with 3 decimals), minus the mean of',
    '  iputils `ping -q -I SECOND_CLIENT_ADDRESS -i 0.2 -w WINDOW` to the same address, run alongside over',
    '  the same window.',
    '',
    `| ${COLUMNS.join(' | ')} |`,
    `|${'---|'.repeat(COLUMNS.length)}`,
    ...rows.map(tableRow),
    '',
  ];
  const notes = rows.flatMap((r) => r.notes.map((n) => `- ${r.tool}, ${r.targets} targets: ${n}`));
  if (notes.length > 0) lines.push('Notes:', '', ...notes, '');
  const fpingFailures = rows.filter((r) => r.tool === 'fping -l' && r.failure !== undefined);
  for (const r of fpingFailures) {
    lines.push(
      `fping at ${r.targets} targets could not keep up: ${r.failure}. Its 65,536 sequence numbers expire only`,
      `after 10 s, so one process cannot exceed ~6,500 pings/s; the row after it splits the targets over`,
      `processes of at most ${FPING_TARGETS_PER_PROCESS} targets (CPU and RSS summed).`,
      '',
    );
  }
  if (maxRest > DISTURBED_CORES || maxSteal > 0.02) {
    const disturbed = rows
      .filter((r) => (r.rest ?? 0) > DISTURBED_CORES || (r.steal ?? 0) > 0.02)
      .map((r) => `${r.tool} at ${r.targets} targets (${fix(r.rest, 2)} core, steal ${fix(r.steal, 3)})`);
    lines.push(
      `Possibly disturbed: more than ${DISTURBED_CORES} core of the machine was busy outside the measured tool ` +
        `during the window of ${disturbed.join(', ')}. The 2-core machine may be shared with other work ` +
        '(or, for a tool that saturates it, softirq work may have moved to ksoftirqd).',
      '',
    );
  } else {
    lines.push(
      `Undisturbed as far as /proc/stat tells: at most ${maxRest.toFixed(2)} core busy outside the measured tool, steal at most ${maxSteal.toFixed(3)} core.`,
      '',
    );
  }
  lines.push(...targetsBlock(rows));
  publishResults(SECTION, lines);
}

runBench(main);
