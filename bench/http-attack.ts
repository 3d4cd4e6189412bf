// HTTP under attack (issue 22; run as root: `npm run bench:http`). Builds the exporter bench's lab
// (client and target namespaces on a veth, a 10.200.0.0/16 AnyIP range on the target), and for each
// attack starts a fresh netdiag-exporter with N targets pinged every second (descriptor limit 1024,
// as in the issue), lets it warm up, then runs the attack from a second process in the exporter's
// namespace (bench/fixtures/http-attacker.ts) while a health checker and a legitimate scraper measure
// what a well-behaved client gets. It records: peak RSS during the attack (VmHWM, reset when it
// starts), CPU, echo requests on the wire against those due (probing continued?), the exporter's own
// sent/received, probe ticks skipped (its overrun warnings), /-/healthy latency and the scrapes.
// The table goes to the `## HTTP under attack` section of bench/results.md.
//
// BENCH_TARGETS (default 10000), BENCH_ATTACK_SECONDS (default 20), BENCH_ATTACKS (comma-separated
// subset of none,pipelined,unread,slowloris,idle,post).
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLab, requireTools, type Netns } from '../test/lab';
import { startExporter } from '../test/support/exporter-process';
import { cliPath, repoRoot } from '../test/support/paths';
import { parseSamples, select, type Sample } from '../test/support/scrape';
import { codeState, loadBefore, machineFacts } from './fixtures/bench-env';
import { processCpu } from './fixtures/exporter-proc';
import { benchAddresses, exporterConfig } from './fixtures/exporter-targets';
import type { AttackReport, Probe, Scenario } from './fixtures/http-attacker';
import { namespacePids } from './fixtures/ns-processes';
import { vmMb } from './fixtures/soak-sample';
import { publishResults, runBench } from './results-file';

const TARGETS = Number(process.env.BENCH_TARGETS ?? 10_000);
const ATTACK_SECONDS = Number(process.env.BENCH_ATTACK_SECONDS ?? 20);
const WARMUP_SECONDS = 10;
/** After the attack, before the closing reads: the exporter's chance to recover (and to log its skips). */
const AFTER_SECONDS = 5;
const PORT = 9469;
/** The descriptor limit of the issue's reproduction (a common container default). */
const NOFILE = 1024;

const ATTACKS: Record<Scenario, string> = {
  none: 'none (the same measures without an attack, for comparison)',
  pipelined: '(a) 1,000 GET /metrics pipelined on one connection (read)',
  unread: '(b) 150 scrapers that never read',
  slowloris: '(c) 800 slowloris connections (a header line every 5 s)',
  idle: '(d) 1,100 idle connections',
  post: '(e) a 4 GiB POST to /-/reload, sent as fast as read',
};
const SCENARIOS = (process.env.BENCH_ATTACKS ?? Object.keys(ATTACKS).join(','))
  .split(',')
  .map((name) => name.trim()) as Scenario[];
for (const scenario of SCENARIOS) if (!(scenario in ATTACKS)) throw new Error(`BENCH_ATTACKS: ${scenario}?`);

interface Row {
  scenario: Scenario;
  failure?: string;
  rssBeforeMb?: number;
  peakRssMb?: number;
  rssAfterMb?: number;
  cpu?: number;
  window?: number;
  wire?: number;
  sent?: number;
  received?: number;
  skipped?: number;
  report?: AttackReport;
  /** Seconds SIGTERM took; null: killed after 10 s. */
  stopSeconds?: number | null;
}

const sum = (samples: Sample[], name: string): number =>
  select(samples, name).reduce((total, s) => total + s.value, 0);

async function counters(ns: Netns): Promise<{ sent: number; received: number } | null> {
  const { stdout, code } = await ns.exec(
    ['curl', '-sf', '--max-time', '30', `http://127.0.0.1:${PORT}/metrics`],
    {
      check: false,
      timeoutMs: 35_000,
    },
  );
  if (code !== 0) return null;
  const samples = parseSamples(stdout);
  return {
    sent: sum(samples, 'netdiag_ping_sent_total'),
    received: sum(samples, 'netdiag_ping_received_total'),
  };
}

/** Probe ticks the exporter's overrun warnings say it skipped, in `logs`. */
function skippedTicks(logs: string): number {
  let skipped = 0;
  for (const match of logs.matchAll(/ticks skipped.*?skipped=(\d+)/g)) skipped += Number(match[1]);
  return skipped;
}

async function measure(ns: Netns, wire: () => Promise<number>, scenario: Scenario): Promise<Row> {
  const row: Row = { scenario };
  // Soft and hard: node raises its soft limit to the hard one at start; and once the exporter runs
  // as nobody, root cannot lower it from outside (prlimit: EPERM without CAP_SYS_RESOURCE).
  const exporter = await startExporter(
    ns,
    exporterConfig(benchAddresses(TARGETS)),
    PORT,
    [],
    ['prlimit', `--nofile=${NOFILE}:${NOFILE}`],
  );
  const pids = namespacePids(ns, (cmd) => cmd.includes(cliPath));
  if (pids.length !== 1) {
    await exporter.stop();
    return { scenario, failure: `expected one exporter process in ${ns.name}, found ${pids.length}` };
  }
  const pid = pids[0]!;
  try {
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1];
    if (limit !== String(NOFILE))
      throw new Error(`the exporter's descriptor limit is ${limit}, not ${NOFILE}`);
    await sleep(WARMUP_SECONDS * 1000);
    const before = await counters(ns);
    const logMark = exporter.logs().length;
    row.rssBeforeMb = vmMb(pid, 'VmRSS');
    // Resets VmHWM to the current RSS: the peak read at the end is the attack's.
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const wireStart = await wire();
    const cpuStart = processCpu(pid);
    const started = performance.now();
    const attacker = await ns.exec(
      [
        // The attacker inherits the bench's own (higher) limit: 1,100 connections and the probes fit.
        'node',
        path.join(repoRoot, 'dist', 'bench', 'fixtures', 'http-attacker.js'),
        scenario,
        String(PORT),
        String(ATTACK_SECONDS),
      ],
      { timeoutMs: (ATTACK_SECONDS + 60) * 1000, check: false },
    );
    row.peakRssMb = vmMb(pid, 'VmHWM');
    await sleep(AFTER_SECONDS * 1000);
    const cpuEnd = processCpu(pid);
    const wireEnd = await wire();
    row.window = (performance.now() - started) / 1000;
    row.cpu = (cpuEnd.user + cpuEnd.system - cpuStart.user - cpuStart.system) / row.window;
    row.wire = wireEnd - wireStart;
    row.rssAfterMb = vmMb(pid, 'VmRSS');
    const after = await counters(ns);
    if (before && after) {
      row.sent = after.sent - before.sent;
      row.received = after.received - before.received;
    }
    const line = attacker.stdout.trim().split('\n').pop() ?? '';
    if (line.startsWith('{')) row.report = JSON.parse(line) as AttackReport;
    else row.failure = `attacker: ${attacker.stderr.slice(-300)}`;
    const stopStart = performance.now();
    const stopped = await Promise.race([exporter.stop().then(() => true), sleep(10_000).then(() => false)]);
    if (!stopped) process.kill(pid, 'SIGKILL');
    row.stopSeconds = stopped ? (performance.now() - stopStart) / 1000 : null;
    row.skipped = skippedTicks(exporter.logs().slice(logMark));
  } catch (error) {
    row.failure = String(error).slice(0, 300);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return row;
}

function latency(probes: Probe[]): string {
  const ok = probes.flatMap((p) => (p.ms === null ? [] : [p.ms])).sort((a, b) => a - b);
  const failed = probes.length - ok.length;
  if (ok.length === 0) return `none of ${probes.length} answered`;
  const median = ok[Math.floor(ok.length / 2)]!;
  return `${median.toFixed(1)} / ${ok[ok.length - 1]!.toFixed(0)} ms${failed > 0 ? `, **${failed} of ${probes.length} unanswered**` : ''}`;
}

function scrapes(probes: Probe[]): string {
  const ok = probes.filter((p) => p.status === 200 && p.ms !== null);
  const others = probes.filter((p) => !(p.status === 200 && p.ms !== null)).map((p) => p.status || 'none');
  const slowest = ok.length ? Math.max(...ok.map((p) => p.ms!)) / 1000 : null;
  return (
    `${ok.length} of ${probes.length} ok` +
    (slowest === null ? '' : ` (slowest ${slowest.toFixed(2)} s)`) +
    (others.length ? `; others: ${others.join(', ')}` : '')
  );
}

function tableRow(row: Row): string {
  const title = ATTACKS[row.scenario];
  if (row.failure !== undefined && row.report === undefined)
    return `| ${title} | **failed**: ${row.failure.replace(/\|/g, '/').replace(/\n/g, ' ')} |${' |'.repeat(9)}`;
  const report = row.report!;
  const due = TARGETS * row.window!;
  const statuses = Object.entries(report.statuses)
    .map(([status, count]) => `${count}×${status}`)
    .join(', ');
  const cells = [
    title,
    `${row.rssBeforeMb!.toFixed(0)} / **${row.peakRssMb!.toFixed(0)}** / ${row.rssAfterMb!.toFixed(0)}`,
    row.cpu!.toFixed(2),
    `${row.wire} of ${due.toFixed(0)} (${((row.wire! / due) * 100).toFixed(1)} %)`,
    row.sent === undefined ? 'n/a (no scrape)' : `${row.sent} / ${row.received}`,
    String(row.skipped),
    latency(report.health),
    scrapes(report.scrapes),
    `${report.opened} opened, ${report.failedToOpen} failed to open, ${report.closedByServer} closed by the exporter; ` +
      `${(report.sent / 1e6).toFixed(2)} MB sent, ${(report.received / 1e6).toFixed(1)} MB received` +
      (statuses ? `; ${statuses}` : ''),
    row.stopSeconds === null ? '**killed after 10 s**' : `${row.stopSeconds!.toFixed(1)} s`,
  ];
  return `| ${cells.join(' | ')} |`;
}

async function main(): Promise<void> {
  requireTools('curl', 'nft', 'prlimit');
  const started = new Date();
  const code = codeState();
  const load = loadBefore();
  const rows: Row[] = [];
  const lab = await createLab();
  try {
    const client = await lab.namespace('haclient');
    const target = await lab.namespace('hatarget');
    const link = await lab.connect(client, target);
    await lab.addAnyIp(target, '10.200.0.0/16');
    await lab.route(client, '10.200.0.0/16', link.b);
    const wire = await lab.counter(
      target,
      'attack_requests',
      `ip saddr ${link.a.ipv4} icmp type echo-request`,
    );
    for (const scenario of SCENARIOS) {
      console.error(`${ATTACKS[scenario]}…`);
      const row = await measure(client, wire, scenario);
      rows.push(row);
      console.error(`  ${tableRow(row)}`);
    }
  } finally {
    await lab.destroy();
  }
  const lines = [
    `Run ${started.toISOString()}: ${machineFacts()}. ${load.line}` +
      (load.disturbed ? ` **All rows ${load.disturbed}.**` : ''),
    `Code measured: ${code}. Command: \`npm run bench:http\` (BENCH_TARGETS=${TARGETS}, ` +
      `BENCH_ATTACK_SECONDS=${ATTACK_SECONDS}).`,
    '',
    'How each figure is measured:',
    '',
    `- Setup: a fresh exporter per attack, ${TARGETS} targets pinged every 1 s (1 s timeout) in the client`,
    `  namespace of a veth lab, listening on 127.0.0.1:${PORT}, descriptor limit ${NOFILE} (\`prlimit --nofile=${NOFILE}:${NOFILE}\`);`,
    `  ${WARMUP_SECONDS} s warm-up, then the attack for ${ATTACK_SECONDS} s from another process in the same`,
    `  namespace, then ${AFTER_SECONDS} s more before the closing reads. The window runs from the attack's start to those reads.`,
    '- RSS: VmRSS before the attack / VmHWM reset at its start (`clear_refs` 5) and read at its end / VmRSS',
    `  ${AFTER_SECONDS} s after it.`,
    '- CPU: utime + stime of the exporter over the window, in cores.',
    '- On the wire: echo requests from the exporter reaching the target namespace (nft counter) in the window,',
    '  against targets × window seconds: whether probing went on.',
    '- Own sent / received: deltas of netdiag_ping_sent_total / _received_total between scrapes before the',
    '  attack and after the window (n/a when a scrape failed).',
    "- Ticks skipped: the `skipped=` of the exporter's overrun warnings from the attack's start to its exit.",
    '- /-/healthy: GET on a fresh connection every 250 ms during the attack, 5 s timeout; median / max.',
    '- Scrapes: a legitimate GET /metrics on a fresh connection every 5 s during the attack, 30 s timeout.',
    '- SIGTERM: time for the exporter to exit once the attack is over (SIGKILL after 10 s).',
    '- Attack connections closed by the exporter: as the attacker sees them. A connection that never',
    '  reads (b) does not see its close until it reads, so it counts none.',
    '- The health checker and the scraper connect from 127.0.0.2, the attack from 127.0.0.1 (per-address',
    '  bounds tell them apart, as they would tell a Prometheus server from an attacker).',
    '',
    '| attack | RSS before / peak / after (MB) | CPU (cores) | echo requests on the wire | own sent / received | ticks skipped | /-/healthy | legitimate scrapes | attack connections | SIGTERM |',
    `|${'---|'.repeat(10)}`,
    ...rows.map(tableRow),
    '',
  ];
  publishResults('HTTP under attack', lines);
}

runBench(main);
