// Trace benchmark of issue 5 (run as root: `npm run bench:trace`). In a routed lab (client — r1 —
// r2 — target, AnyIP on the target) the exporter pings N addresses every second, first alone, then
// with T other addresses traced every 60 s (UDP, 8 flows, 3 probes per flow and hop, max_hops 30).
// Per phase: CPU, peak RSS, /metrics, and the ping RTT offset against iputils; with traces: rounds,
// the distribution of netdiag_trace_duration_seconds over the traced targets, probes per trace.
// The tables go to the `## Trace` section of bench/results.md, or the one BENCH_RESULTS_SECTION names
// (a run at other counts or another block, kept beside the default one).
import { createLab, requireTools } from '../test/lab';
import { select } from '../test/support/scrape';
import { codeState, loadBefore, machineFacts, toolVersion } from './fixtures/bench-env';
import { benchAddresses, FIXED_TRACE_BLOCK, traceConfig } from './fixtures/exporter-targets';
import { delta, fix, measureExporter, us, windowMean, type WindowFigures } from './fixtures/exporter-window';
import { buildRoutedLab } from '../test/e2e/routed-lab';
import { COST_COLUMNS, costRow } from './fixtures/window-table';
import { publishResults, runBench } from './results-file';

const PINGS = Number(process.env.BENCH_TRACE_PINGS ?? 10_000);
const TRACES = Number(process.env.BENCH_TRACE_TARGETS ?? 200);
/** The traced targets' block; BENCH_TRACE_BLOCK='{ protocol: udp, interval: 60s }' measures the defaults (MDA, pacing). */
const TRACE_BLOCK = process.env.BENCH_TRACE_BLOCK ?? FIXED_TRACE_BLOCK;
/** One trace interval: every traced target runs about once in the window. */
const DURATION = Number(process.env.BENCH_DURATION ?? 60);
const WARMUP = 10;
const SECTION = process.env.BENCH_RESULTS_SECTION ?? 'Trace';
const SCRAPES = 5;
const TRACE_PORT = 33434;
if (![PINGS, TRACES].every((n) => Number.isInteger(n) && n >= 1) || PINGS + TRACES > 65536)
  throw new Error(`BENCH_TRACE_PINGS, BENCH_TRACE_TARGETS: ${PINGS}, ${TRACES}`);
if (!Number.isFinite(DURATION) || DURATION < 1) throw new Error(`BENCH_DURATION: ${DURATION}`);

interface Phase {
  name: string;
  traced: boolean;
  w: WindowFigures;
}

function quantile(sorted: number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const ms = (s: number | null): string => (s === null ? 'n/a' : (s * 1000).toFixed(1));
const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

/** Echo requests on the wire over expected, the ping RTT offsets. */
function pingRow(p: Phase, reference: string): string {
  const w = p.w;
  const expected = PINGS * w.counterSeconds;
  const ref = windowMean(w, 'netdiag_ping_rtt_seconds', { address: reference });
  const iputils = w.iputils?.avg ?? null;
  const cells = [
    p.name,
    `${(((w.counters.pings ?? 0) / expected) * 100).toFixed(1)} %`,
    us(windowMean(w, 'netdiag_ping_rtt_seconds')),
    us(ref),
    us(iputils),
    `**${us(diff(ref, iputils))}**`,
  ];
  return `| ${cells.join(' | ')} |`;
}

function traceLines(p: Phase): string[] {
  const w = p.w;
  const labels = { protocol: 'udp' };
  const durations = select(w.after, 'netdiag_trace_duration_seconds', labels)
    .map((s) => s.value)
    .sort((a, b) => a - b);
  const mean = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null;
  const hops = new Set(select(w.after, 'netdiag_trace_hops', labels).map((s) => s.value));
  const paths = new Set(select(w.after, 'netdiag_trace_paths', labels).map((s) => s.value));
  const reached = select(w.after, 'netdiag_trace_reached', labels).filter((s) => s.value === 1).length;
  const rounds = delta(w, 'netdiag_trace_rounds_total');
  const probes = w.counters.probes ?? 0;
  const skipped = delta(w, 'netdiag_trace_probes_skipped_total');
  const rows: Array<[string, string]> = [
    ['traced targets (reached the destination in their latest round)', `${durations.length} (${reached})`],
    [`rounds completed in the window (${DURATION} s, one interval)`, String(rounds)],
    ['hops to the destination (distinct values of netdiag_trace_hops)', [...hops].join(', ')],
    ['paths per target (distinct values of netdiag_trace_paths)', [...paths].join(', ')],
    [
      'trace probe errors (netdiag_probe_errors_total{probe="trace"})',
      String(delta(w, 'netdiag_probe_errors_total', { probe: 'trace' })),
    ],
    [
      `UDP probes to port ${TRACE_PORT} leaving the client / per round`,
      `${probes} / ${rounds > 0 ? (probes / rounds).toFixed(1) : 'n/a'}`,
    ],
    [
      "probes not sent for the routers' budget (netdiag_trace_probes_skipped_total) / per round",
      `${skipped} / ${rounds > 0 ? (skipped / rounds).toFixed(1) : 'n/a'}`,
    ],
    [
      '**time per trace** (netdiag_trace_duration_seconds over the targets, ms): min / p50 / p90 / max / mean',
      [
        quantile(durations, 0),
        quantile(durations, 0.5),
        quantile(durations, 0.9),
        quantile(durations, 1),
        mean,
      ]
        .map(ms)
        .join(' / '),
    ],
  ];
  return [
    '| figure (pings + traces phase) | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ];
}

async function main(): Promise<void> {
  requireTools('ping', 'curl', 'nft');
  const started = new Date();
  const code = codeState();
  const facts = machineFacts([`iputils ${toolVersion(['ping', '-V'], /iputils ([\w.]+)/)}`]);
  const load = loadBefore();
  const all = benchAddresses(PINGS + TRACES);
  const pinged = all.slice(0, PINGS);
  const traced = all.slice(PINGS);
  const reference = pinged[Math.floor(PINGS / 2)]!;
  const phases: Phase[] = [];
  const lab = await createLab();
  try {
    const net = await buildRoutedLab(lab);
    const iputilsSource = net.clientR1.a.ipv4.replace(/\.\d+$/, '.3');
    await lab.addAddress(net.clientR1.a, `${iputilsSource}/24`);
    const from = `ip saddr ${net.clientR1.a.ipv4}`;
    const pings = await lab.counter(net.target, 'bench_pings', `${from} icmp type echo-request`);
    const probes = await lab.counter(net.client, 'bench_probes', `${from} udp dport ${TRACE_PORT}`, {
      hook: 'output',
    });
    const counters = async (): Promise<Record<string, number>> => ({
      pings: await pings(),
      probes: await probes(),
    });
    for (const withTraces of [false, true]) {
      const name = withTraces ? `${PINGS} pings + ${TRACES} traces` : `${PINGS} pings only`;
      console.error(`${new Date().toISOString()} ${name}: starting`);
      const w = await measureExporter(
        net.client,
        traceConfig(pinged, withTraces ? traced : [], TRACE_BLOCK),
        {
          warmupSeconds: WARMUP,
          seconds: DURATION,
          reference,
          iputilsSource,
          scrapes: SCRAPES,
          counters,
        },
      );
      phases.push({ name, traced: withTraces, w });
      console.error(`  ${costRow(name, w)}`);
    }
  } finally {
    await lab.destroy();
  }

  const [alone, traced2] = [phases.find((p) => !p.traced)!, phases.find((p) => p.traced)!];
  const cores = (p: Phase): number => p.w.cpuUser + p.w.cpuSystem;
  const warnings = phases.flatMap((p) =>
    p.w.warnings.slice(0, 3).map((l) => `- ${p.name}: \`${l.slice(0, 200)}\``),
  );
  const lines = [
    `Run ${started.toISOString()}: ${facts}. ${load.line}` +
      (load.disturbed ? ` **All rows ${load.disturbed}.**` : ''),
    `Code measured: ${code}.`,
    '',
    'How each figure is measured:',
    '',
    "- Setup: client — r1 — r2 — target over plain veths (no delay, no loss; routers with the lab's",
    '  router sysctls and `icmp_errors_use_inbound_ifaddr=1`), the target answering every address of',
    `  10.200.0.0/16. ${PINGS} targets (the first addresses of the range) pinged every 1 s (timeout 1 s); in the`,
    `  second phase ${TRACES} further addresses traced with \`trace: ${TRACE_BLOCK}\`` +
      (TRACE_BLOCK === FIXED_TRACE_BLOCK
        ? ' (fixed flows, the defaults before the MDA, written out).'
        : '.') +
      ' Each',
    `  phase is its own exporter process (root, then nobody); ${WARMUP} s warm-up, then a ${DURATION} s window`,
    '  between two scrapes, so each traced target runs about once in it (start times spread over the interval).',
    '- CPU, rest of machine, peak RSS, /metrics, event-loop delay: as in the Knock section. Forwarding on',
    "  r1 and r2 and the target's answers run in softirq, mostly charged to the sending exporter (veths).",
    '- Ping RTT offset: mean of netdiag_ping_rtt_seconds to the reference address (the middle one) from',
    '  _sum/_count deltas over the window, minus the mean of iputils `ping -q -I SECOND_CLIENT_ADDRESS -i 0.2',
    '  -w WINDOW` to it alongside (kernel timestamps); "all targets" is the same mean over every ping series.',
    '- Time per trace: netdiag_trace_duration_seconds (the latest round of each traced target) read at the',
    "  end of the window, over the traced targets. Probes: an nft counter on the client's output hook.",
    '',
    `| ${COST_COLUMNS.join(' | ')} |`,
    `|${'---|'.repeat(COST_COLUMNS.length)}`,
    ...phases.map((p) => costRow(p.name, p.w)),
    '',
    `The traces' own cost: ${fix(cores(traced2) - cores(alone), 3)} core, ` +
      `${fix(traced2.w.rssMb - alone.w.rssMb, 0)} MB of peak RSS.`,
    '',
    '| phase | echo requests on the wire / expected | mean ping RTT, all targets (µs) | ping RTT, reference (µs) | iputils (µs) | ping − iputils (µs) |',
    '|---|---|---|---|---|---|',
    ...phases.map((p) => pingRow(p, reference)),
    '',
    ...traceLines(traced2),
    '',
  ];
  if (warnings.length > 0)
    lines.push('Exporter warnings during the windows (first 3 per phase):', '', ...warnings, '');
  publishResults(SECTION, lines);
}

runBench(main);
