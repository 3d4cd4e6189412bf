// Soak benchmark of issue 7 (run as root: `npm run bench:soak`). In the exporter benchmark's lab
// (client and target namespaces joined by a plain veth, a 10.200.0.0/16 AnyIP range on the target),
// one exporter pings N targets every second for M minutes while its config is rewritten and reloaded
// (SIGHUP) every R seconds: targets removed and added back, one target's host changed. Every 10 s a
// sample: RSS, pending probes per raw socket, series in /metrics, scrape time, event-loop delay, the
// reload state; per minute, probes lost. Verdicts per resource bound; the `## Soak` section of
// bench/results.md receives the table.
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLab, requireTools } from '../test/lab';
import { startExporter, type ExporterProcess } from '../test/support/exporter-process';
import { cliPath } from '../test/support/paths';
import { codeState, loadBefore, machineFacts, QUIET_LOAD } from './fixtures/bench-env';
import { commandLine, processCpu } from './fixtures/exporter-proc';
import { benchAddresses } from './fixtures/exporter-targets';
import { fix } from './fixtures/exporter-window';
import { alive } from './fixtures/ns-processes';
import { waitForQuietLoad, type QuietWait } from './fixtures/quiet-load';
import { soakConfig, type SoakConfig } from './fixtures/soak-config';
import { between, takeSample, vmMb, type SoakSample } from './fixtures/soak-sample';
import { publishResults, runBench } from './results-file';
import { buildDirectLab } from './fixtures/direct-lab';

const knob = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: ${process.env[name]}`);
  return value;
};
const TARGETS = knob('BENCH_SOAK_TARGETS', 10000);
const MINUTES = knob('BENCH_SOAK_MINUTES', 10);
const RELOAD_SECONDS = knob('BENCH_SOAK_RELOAD_SECONDS', 60);
/** Targets removed, then added back, at alternate reloads. */
const CHURN = Math.min(500, Math.floor(TARGETS / 4));
/** Longest wait for a quiet machine (1-minute load below QUIET_LOAD) before the run; 0: don't wait. */
const QUIET_WAIT_MINUTES = knob('BENCH_SOAK_QUIET_WAIT_MINUTES', 15);
const SAMPLE_SECONDS = 10;
/** Reloads fall between samples: each sample after a reload sees it 5 s later. */
const RELOAD_OFFSET = 5;
const INTERVAL = 1;
const TIMEOUT = 1;
/** Pending-probe bound: at most one probe per target per interval waits a timeout, plus this share of N for late timers. */
const PENDING_MARGIN = 0.1;
/** The floor of pending probes may rise this much (share of N) before it counts as a leak. */
const PENDING_FLOOR_SLACK = 0.01;
const RSS_GROWTH = 0.1;
if (!Number.isInteger(TARGETS) || TARGETS < 4 || TARGETS > 65535)
  throw new Error(`BENCH_SOAK_TARGETS: 4 to 65535, not ${TARGETS}`);
if (MINUTES < 1 || RELOAD_SECONDS <= RELOAD_OFFSET)
  throw new Error(`BENCH_SOAK_MINUTES >= 1 and BENCH_SOAK_RELOAD_SECONDS > ${RELOAD_OFFSET}`);

interface Reload {
  number: number;
  /** Seconds since start when SIGHUP was sent, and how long until the exporter logged the outcome. */
  t: number;
  seconds: number | null;
  /** The exporter's log line about it, and whether it matches what the new config changes. */
  logLine: string;
  ok: boolean;
}

/** A sample, with the config the exporter was running when it was taken. */
interface Point {
  s: SoakSample;
  config: SoakConfig;
  /** Expected sample lines, from the calibration (null before it). */
  expectedSeries: number | null;
  /** What a scrape shows of the config: distinct targets match, the changed target's address. */
  targetsMatch: boolean;
  changedMatch: boolean;
}

/** Rewrites the config file atomically, readable by the exporter once it runs as nobody. */
function writeConfig(file: string, yaml: string): void {
  const next = path.join(path.dirname(file), '.config.yaml.next');
  writeFileSync(next, yaml, { mode: 0o644 });
  chmodSync(next, 0o644); // whatever the umask
  renameSync(next, file);
}

const logfmtField = (line: string, key: string): string | undefined =>
  new RegExp(`(?:^|\\s)${key}=("(?:[^"\\\\]|\\\\.)*"|\\S+)`).exec(line)?.[1]?.replace(/^"|"$/g, '');

/** SIGHUP, then waits (at most 60 s) for the exporter to log the outcome of the reload. */
async function reload(
  exporter: ExporterProcess,
  config: SoakConfig,
  number: number,
  t: number,
): Promise<Reload> {
  writeConfig(exporter.file, config.yaml);
  const mark = exporter.logs().length;
  const sent = performance.now();
  process.kill(exporter.pid, 'SIGHUP');
  const outcome = /^.*msg="?(config reloaded|config rejected[^"]*|config reload failed[^"]*)"?.*$/m;
  for (;;) {
    const line = outcome.exec(exporter.logs().slice(mark))?.[0];
    if (line !== undefined) {
      const expected = config.expected!;
      const ok =
        /msg="?config reloaded/.test(line) &&
        Number(logfmtField(line, 'added')) === expected.added &&
        Number(logfmtField(line, 'removed')) === expected.removed &&
        Number(logfmtField(line, 'changed')) === expected.changed &&
        logfmtField(line, 'restarted_all') === 'false';
      return { number, t, seconds: (performance.now() - sent) / 1000, logLine: line, ok };
    }
    if (performance.now() - sent > 60_000 || !alive(exporter.pid))
      return { number, t, seconds: null, logLine: 'no outcome logged within 60 s', ok: false };
    await sleep(20);
  }
}

function point(s: SoakSample, config: SoakConfig): Point {
  const names = [...s.addresses.keys()];
  const configured = new Set(config.names);
  return {
    s,
    config,
    expectedSeries: null,
    targetsMatch: names.length === configured.size && names.every((n) => configured.has(n)),
    changedMatch: (s.addresses.get(config.changed.name) ?? []).join(',') === config.changed.host,
  };
}

const max = (values: number[]): number => (values.length === 0 ? NaN : Math.max(...values));
const minuteOf = (t: number): number => Math.max(1, Math.ceil(t / 60));
const ms = (seconds: number | null): string => fix(seconds === null ? null : seconds * 1000, 1);

interface Run {
  points: Point[];
  reloads: Reload[];
  /** Per-target series and series without a target label, from the last sample before the first reload. */
  perTarget: number;
  base: number;
  hwmMb: number;
  cpuCores: number;
  seconds: number;
  warnings: string[];
}

async function soak(): Promise<Run> {
  const addrs = benchAddresses(TARGETS + 1);
  let config = soakConfig(addrs, CHURN, 0);
  const lab = await createLab();
  try {
    const { client } = await buildDirectLab(lab);
    const exporter = await startExporter(client, config.yaml, 9469);
    try {
      const pid = exporter.pid;
      if (!commandLine(pid).includes(cliPath)) throw new Error(`pid ${pid} is not the exporter`);
      const started = performance.now();
      const cpu0 = processCpu(pid);
      const total = MINUTES * 60;
      const events: Array<{ t: number; kind: 'sample' | 'reload' }> = [];
      for (let t = 0; t <= total; t += SAMPLE_SECONDS) events.push({ t, kind: 'sample' });
      for (let t = RELOAD_SECONDS + RELOAD_OFFSET; t < total; t += RELOAD_SECONDS)
        events.push({ t, kind: 'reload' });
      events.sort((a, b) => a.t - b.t);
      const points: Point[] = [];
      const reloads: Reload[] = [];
      for (const event of events) {
        await sleep(Math.max(0, started + event.t * 1000 - performance.now()));
        if (!alive(pid)) throw new Error(`the exporter exited:\n${exporter.logs().slice(-2000)}`);
        if (event.kind === 'reload') {
          const next = soakConfig(addrs, CHURN, reloads.length + 1);
          const r = await reload(exporter, next, reloads.length + 1, event.t);
          reloads.push(r);
          if (/config reloaded/.test(r.logLine)) config = next;
          console.error(
            `t=${event.t}s reload ${r.number}: ${r.ok ? 'ok' : 'NOT OK'} in ${fix(r.seconds, 2)} s: ${r.logLine}`,
          );
        } else {
          const s = await takeSample(client, `${exporter.url}/metrics`, pid, event.t);
          points.push(point(s, config));
          console.error(
            `t=${event.t}s rss ${s.rssMb.toFixed(0)} MB pending ${s.pending} series ${s.series} ` +
              `scrape ${s.scrapeSeconds.toFixed(3)} s loop p99/max ${ms(s.loopP99)}/${ms(s.loopMax)} ms ` +
              `targets ${s.addresses.size}/${config.names.length} ` +
              `sent ${[...s.ping.values()].reduce((n, c) => n + c.sent, 0)}`,
          );
        }
      }
      const cpu1 = processCpu(pid);
      const seconds = (performance.now() - started) / 1000;
      // calibration: the last sample before the first reload
      const firstReload = reloads[0]?.t ?? Infinity;
      const calibration =
        [...points].reverse().find((p) => p.s.t < firstReload) ?? points[points.length - 1]!;
      const { s: c } = calibration;
      const perTarget = (c.targetSeries - c.errorSeries) / calibration.config.names.length;
      const base = c.series - c.targetSeries;
      for (const p of points) {
        if (p.s.t >= c.t) p.expectedSeries = base + perTarget * p.config.names.length + p.s.errorSeries;
      }
      return {
        points,
        reloads,
        perTarget,
        base,
        hwmMb: vmMb(pid, 'VmHWM'),
        cpuCores: (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / seconds,
        seconds,
        warnings: exporter
          .logs()
          .split('\n')
          .filter((line) => /level=(warn|error)/.test(line)),
      };
    } finally {
      const stopped = exporter.stop();
      const exited = await Promise.race([stopped.then(() => true), sleep(15_000).then(() => false)]);
      if (!exited) {
        console.error('  the exporter ignored SIGTERM for 15 s: SIGKILL');
        process.kill(exporter.pid, 'SIGKILL');
        await stopped;
      }
    }
  } finally {
    await lab.destroy();
  }
}

interface MinuteRow {
  minute: number;
  points: Point[];
  reloads: Reload[];
  sent: number;
  lost: number;
  timeouts: number;
  /** (target, address) series whose ping counters went back down between two samples. */
  resets: number;
}

function minutes(run: Run): MinuteRow[] {
  const rows: MinuteRow[] = [];
  for (let minute = 1; minute <= MINUTES; minute++) {
    rows.push({ minute, points: [], reloads: [], sent: 0, lost: 0, timeouts: 0, resets: 0 });
  }
  const row = (t: number): MinuteRow => rows[Math.min(MINUTES, minuteOf(t)) - 1]!;
  run.points.forEach((p, i) => {
    row(p.s.t).points.push(p);
    const previous = run.points[i - 1];
    if (previous) {
      const interval = between(previous.s, p.s);
      row(p.s.t).sent += interval.sent;
      row(p.s.t).lost += interval.lost;
      row(p.s.t).resets += interval.resets;
      // error series of removed targets go with them: only increases count
      row(p.s.t).timeouts += Math.max(0, p.s.pingErrors - previous.s.pingErrors);
    }
  });
  for (const r of run.reloads) row(r.t).reloads.push(r);
  return rows;
}

const TABLE = [
  'minute',
  'RSS MB (max)',
  'pending (max)',
  'series (last sample / expected)',
  'scrape s (max)',
  'loop p99 / max ms (max)',
  'targets (config / in /metrics)',
  'reloads ok',
  'lost (sent − received)',
  'ping series reset',
];

function tableRow(r: MinuteRow): string {
  const last = r.points[r.points.length - 1];
  const s = r.points.map((p) => p.s);
  const loop = (pick: (x: SoakSample) => number | null): number | null => {
    const values = s.map(pick).filter((v): v is number => v !== null);
    return values.length ? Math.max(...values) : null;
  };
  const reloads =
    r.reloads.length === 0
      ? '–'
      : `${r.reloads.filter((x) => x.ok).length} of ${r.reloads.length} (${r.reloads.map((x) => fix(x.seconds, 2)).join(', ')} s)`;
  return `| ${[
    r.minute,
    fix(max(s.map((x) => x.rssMb)), 0),
    fix(max(s.map((x) => x.pending)), 0),
    last ? `${last.s.series} / ${last.expectedSeries ?? 'n/a'}` : 'n/a',
    fix(max(s.map((x) => x.scrapeSeconds)), 3),
    `${ms(loop((x) => x.loopP99))} / ${ms(loop((x) => x.loopMax))}`,
    last ? `${last.config.names.length} / ${last.s.addresses.size}` : 'n/a',
    reloads,
    r.lost,
    r.resets,
  ].join(' | ')} |`;
}

function verdicts(run: Run, rows: MinuteRow[]): string[] {
  const verdict = (met: boolean): string => (met ? '**met**' : '**not met**');
  const rssOf = (from: number, to: number): number =>
    max(
      rows.filter((r) => r.minute >= from && r.minute <= to).flatMap((r) => r.points.map((p) => p.s.rssMb)),
    );
  const lines: string[] = [];
  if (MINUTES >= 6) {
    const early = rssOf(2, 4);
    const late = rssOf(MINUTES - 2, MINUTES);
    lines.push(
      `- RSS flat (max of the last 3 minutes within ${RSS_GROWTH * 100} % of the max of minutes 2–4): ` +
        `${verdict(late <= early * (1 + RSS_GROWTH))} (${late.toFixed(0)} MB in minutes ${MINUTES - 2}–${MINUTES} vs ` +
        `${early.toFixed(0)} MB in minutes 2–4: ${(((late - early) / early) * 100).toFixed(1)} %; VmHWM at the end ${run.hwmMb.toFixed(0)} MB)`,
    );
  } else {
    lines.push(`- RSS flat: n/a (needs at least 6 minutes; VmHWM at the end ${run.hwmMb.toFixed(0)} MB)`);
  }
  const sampled = run.points.filter((p) => p.s.t > 0);
  const half = (MINUTES * 60) / 2;
  // The gauge is instantaneous: its maxima are probes in flight when a sample happened to catch a
  // burst (a reload, a scrape); a leaked entry never leaves, so a leak raises the floor.
  const pendingOf = (first: boolean): number[] =>
    sampled.filter((p) => p.s.t <= half === first).map((p) => p.s.pending);
  const firstFloor = Math.min(...pendingOf(true));
  const lastFloor = Math.min(...pendingOf(false));
  const firstMax = max(pendingOf(true));
  const lastMax = max(pendingOf(false));
  const allMax = max(run.points.map((p) => p.s.pending));
  const bound = (TARGETS * TIMEOUT) / INTERVAL + PENDING_MARGIN * TARGETS;
  const slack = PENDING_FLOOR_SLACK * TARGETS;
  lines.push(
    `- Pending probes do not leak (the least of the last half's samples at most the least of the first ` +
      `half's + ${PENDING_FLOOR_SLACK * 100} % of N, and every sample at most N × timeout / interval + ` +
      `${PENDING_MARGIN * 100} % of N = ${bound}): ` +
      `${verdict(lastFloor <= firstFloor + slack && allMax <= bound)} (least: first half ${firstFloor}, ` +
      `last half ${lastFloor}; most: first half ${firstMax}, last half ${lastMax}, overall ${allMax})`,
  );
  const checked = run.points.filter((p) => p.expectedSeries !== null);
  const off = checked.filter((p) => p.s.series !== p.expectedSeries || !p.targetsMatch || !p.changedMatch);
  const badReloads = run.reloads.filter((r) => !r.ok);
  const gauge = run.points.filter((p) => p.s.reloadSuccessful !== 1);
  lines.push(
    `- Series track the targets exactly after each reload (every sample from the calibration on: sample lines = ` +
      `${run.base} + ${run.perTarget} × configured targets + netdiag_probe_errors_total series; target names ` +
      `of netdiag_ping_sent_total = the config's; the changed target on its new address only; each reload logged ` +
      `with the expected added/removed/changed counts and restarted_all=false; netdiag_config_last_reload_successful 1): ` +
      `${verdict(off.length === 0 && badReloads.length === 0 && gauge.length === 0 && run.reloads.length > 0)} ` +
      `(${checked.length - off.length} of ${checked.length} samples, ${run.reloads.length - badReloads.length} of ` +
      `${run.reloads.length} reloads` +
      (off.length
        ? `; off at t = ${off.map((p) => `${p.s.t} s (${p.s.series} vs ${p.expectedSeries})`).join(', ')}`
        : '') +
      (badReloads.length
        ? `; reloads not as expected: ${badReloads.map((r) => `${r.number}: ${r.logLine.slice(0, 160)}`).join('; ')}`
        : '') +
      (gauge.length ? `; reload gauge not 1 at t = ${gauge.map((p) => p.s.t).join(', ')} s` : '') +
      ')',
  );
  const lost = rows.reduce((n, r) => n + r.lost, 0);
  const timeouts = rows.reduce((n, r) => n + r.timeouts, 0);
  const sentTotal = rows.reduce((n, r) => n + r.sent, 0);
  const resets = rows.reduce((n, r) => n + r.resets, 0);
  lines.push(
    `- No probe lost (sent − received over the run, and netdiag_probe_errors_total{probe="ping"} increase, both 0): ` +
      `${verdict(lost === 0 && timeouts === 0)} (${sentTotal} probes sent, ${lost} not answered, ${timeouts} errors counted)`,
    `- Counters of targets a reload leaves unchanged keep counting (no netdiag_ping_sent_total or _received_total ` +
      `series of the same (target, address) goes back down between two samples): ${verdict(resets === 0)} ` +
      `(${resets} series went down: ${
        rows
          .filter((r) => r.resets > 0)
          .map((r) => `${r.resets} in minute ${r.minute}`)
          .join(', ') || 'none'
      }; counted from their new value, so sent and lost above stay exact)`,
  );
  return lines;
}

async function main(): Promise<void> {
  requireTools('curl');
  const wait: QuietWait | null =
    QUIET_WAIT_MINUTES > 0 ? await waitForQuietLoad(QUIET_WAIT_MINUTES * 60) : null;
  const started = new Date();
  const code = codeState();
  const facts = machineFacts();
  const load = loadBefore();
  const run = await soak();
  const rows = minutes(run);
  const reloadsAt = run.reloads.map((r) => r.t).join(', ');
  const waitLine =
    wait === null
      ? 'No wait for a quiet machine (BENCH_SOAK_QUIET_WAIT_MINUTES=0).'
      : wait.quiet
        ? `Waited ${wait.waited.toFixed(0)} s for a 1-minute load below ${QUIET_LOAD}.`
        : `Waited ${wait.waited.toFixed(0)} s for a 1-minute load below ${QUIET_LOAD} in vain (still ${wait.load.toFixed(2)}).`;
  const lines = [
    `Run ${started.toISOString()}: ${facts}. ${waitLine} ${load.line}` +
      (load.disturbed ? ` **All figures ${load.disturbed}.**` : ''),
    `Code measured: ${code}.`,
    '',
    'How each figure is measured:',
    '',
    "- Setup: the exporter bench's lab (client and target namespaces, plain veth, no delay, no loss, the",
    `  target answering every address of 10.200.0.0/16); one exporter process (root, then nobody) pinging`,
    `  ${TARGETS} targets, the first addresses of the range, every ${INTERVAL} s (timeout ${TIMEOUT} s), for ${MINUTES} min.`,
    `- Reloads: at t = ${reloadsAt} s the config file is rewritten (new file, mode 0644, renamed over it) and`,
    `  the exporter gets SIGHUP. Odd reloads remove a block of ${CHURN} targets, even ones add the same block back`,
    `  (the block moves on every two reloads), and every reload switches t00000 between its address and a`,
    '  spare one: each adds or removes, and changes. Reload time: from SIGHUP until the exporter logs',
    '  `config reloaded` (its added/removed/changed counts are checked against the new file).',
    `- Samples every ${SAMPLE_SECONDS} s from t = 0 (the first successful health check): VmRSS of /proc/<pid>/status,`,
    "  then a /metrics scrape with curl inside the client namespace (scrape s: curl's time_total). From",
    '  the scrape: sample lines (series), netdiag_socket_pending_probes summed over sockets, the',
    '  event-loop delay p99 and max since the previous scrape (netdiag_event_loop_delay_seconds), and',
    '  netdiag_ping_sent_total / _received_total per (target, address). A row is a minute: maxima over its',
    '  samples; series and targets at its last sample.',
    `- Expected series: from the last sample before the first reload, ${run.base} sample lines without a target`,
    `  label and ${run.perTarget} per target; expected = ${run.base} + ${run.perTarget} × configured targets + error series.`,
    '- Lost: sent − received increase between consecutive samples over the (target, address) series',
    '  present in both, summed per minute. The exporter counts a probe as sent when its result (reply or',
    '  timeout) is in, so probes in flight do not show as lost.',
    `- Exporter CPU over the run: ${run.cpuCores.toFixed(3)} core (/proc/<pid>/stat over ${run.seconds.toFixed(0)} s, scrapes every ${SAMPLE_SECONDS} s included).`,
    '',
    `| ${TABLE.join(' | ')} |`,
    `|${'---|'.repeat(TABLE.length)}`,
    ...rows.map(tableRow),
    '',
    `Bounds at ${TARGETS} targets:`,
    '',
    ...verdicts(run, rows),
    '',
  ];
  if (run.warnings.length > 0) {
    lines.push(
      `Exporter warnings and errors (${run.warnings.length}; first 3):`,
      '',
      ...run.warnings.slice(0, 3).map((l) => `- \`${l.slice(0, 200)}\``),
      '',
    );
  }
  publishResults('Soak', lines);
}

runBench(main);
