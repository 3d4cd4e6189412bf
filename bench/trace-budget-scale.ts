// The routers' budget at scale (run as root: `npm run bench:trace-budget`). In the trace bench's lab
// (client — r1 — r2 — target, AnyIP on the target) the exporter traces T addresses at the defaults
// (UDP, MDA, pacing, 60 s), every one behind r1 and r2. Over one window it counts the probes leaving
// the client per TTL and the time-exceeded messages r2 sends, against what the budget allows one
// router (a burst, then about 1 a second), and reads which targets have hop figures. The routers'
// ICMP limits are lifted, so r2 answers every probe it gets: the count is what the exporter asked of it.
// The table goes to the `## Trace, the routers' budget at scale` section of bench/results.md, or the
// one BENCH_RESULTS_SECTION names.
import { createLab, requireTools } from '../test/lab';
import { startExporter } from '../test/support/exporter-process';
import { parseSamples, select, type Sample } from '../test/support/scrape';
import { LINUX_ICMP_LIMITS, RATE_MARGIN } from '../probes/trace/pacing/responder-budget';
import { codeState, loadBefore, machineFacts } from './fixtures/bench-env';
import { traceConfig } from './fixtures/exporter-targets';
import { buildRoutedLab } from '../test/e2e/routed-lab';
import { publishResults, runBench } from './results-file';

const TRACES = Number(process.env.BENCH_TRACE_TARGETS ?? 1000);
/** Seconds from the exporter's start to the reading: 1.5 intervals, every target's first round and some second ones. */
const SECONDS = Number(process.env.BENCH_DURATION ?? 90);
const PORT = 9473;
/** BENCH_RESULTS_SECTION: another section (a run of other code or counts kept beside the default one). */
const SECTION = process.env.BENCH_RESULTS_SECTION ?? "Trace, the routers' budget at scale";
if (!Number.isInteger(TRACES) || TRACES < 1 || TRACES > 60_000)
  throw new Error(`BENCH_TRACE_TARGETS: ${TRACES}`);
if (!Number.isFinite(SECONDS) || SECONDS < 10) throw new Error(`BENCH_DURATION: ${SECONDS}`);

/** Targets with a numeric (not NaN) figure of `name` at `hop`, and targets with any series there. */
function withFigure(samples: Sample[], name: string, hop: number): string {
  const series = select(samples, name, { hop: String(hop) });
  return `${series.filter((s) => !Number.isNaN(s.value)).length} / ${series.length}`;
}

async function main(): Promise<void> {
  requireTools('curl', 'nft');
  const started = new Date();
  const code = codeState();
  const facts = machineFacts();
  const load = loadBefore();
  // Past the bench's ping block (10.200.0.0/22), one address each.
  const traced = Array.from({ length: TRACES }, (_, i) => `10.200.${10 + (i >> 8)}.${i & 255}`);
  const lab = await createLab();
  let rows: Array<[string, string]>;
  try {
    const net = await buildRoutedLab(lab);
    const from = `ip saddr ${net.clientR1.a.ipv4} udp dport >= 33434`;
    const byTtl = [
      await lab.counter(net.client, 'ttl1', `${from} ip ttl 1`, { hook: 'output' }),
      await lab.counter(net.client, 'ttl2', `${from} ip ttl 2`, { hook: 'output' }),
      await lab.counter(net.client, 'ttl3', `${from} ip ttl 3`, { hook: 'output' }),
      await lab.counter(net.client, 'ttlmore', `${from} ip ttl > 3`, { hook: 'output' }),
    ];
    const r2Errors = await lab.counter(net.r2, 'r2errors', 'icmp type time-exceeded', { hook: 'output' });
    const config = traceConfig(['10.200.0.1'], traced, '{ protocol: udp, interval: 60s }');
    console.error(`${new Date().toISOString()} ${TRACES} traces: starting, ${SECONDS} s`);
    const exporter = await startExporter(net.client, config, PORT);
    const t0 = performance.now();
    let samples: Sample[];
    try {
      await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
      const seconds = (performance.now() - t0) / 1000;
      const probes = await Promise.all(byTtl.map((read) => read()));
      const answered = await r2Errors();
      const res = await net.client.exec(['curl', '-sf', `http://127.0.0.1:${PORT}/metrics`], {
        timeoutMs: 60_000,
      });
      samples = parseSamples(res.stdout);
      const allowed = LINUX_ICMP_LIMITS.burst + seconds * LINUX_ICMP_LIMITS.perSecond * RATE_MARGIN;
      const sum = (name: string): number => select(samples, name).reduce((a, s) => a + s.value, 0);
      rows = [
        ['seconds from the start', seconds.toFixed(1)],
        ['probes leaving the client at TTL 1 / 2 / 3 / past 3', probes.join(' / ')],
        [
          "time-exceeded sent by r2 / the budget's allowance for one router",
          `${answered} / ${allowed.toFixed(0)}`,
        ],
        [
          'targets that reached the destination in their latest round',
          String(select(samples, 'netdiag_trace_reached').filter((s) => s.value === 1).length),
        ],
        [
          'probes held back for the budget (netdiag_trace_probes_skipped_total)',
          String(sum('netdiag_trace_probes_skipped_total')),
        ],
        [
          'targets with a hop-loss figure at hop 1 / 2 / 3 (of those with a series)',
          [1, 2, 3].map((hop) => withFigure(samples, 'netdiag_trace_hop_loss_ratio', hop)).join(', '),
        ],
      ];
    } finally {
      await exporter.stop();
    }
  } finally {
    await lab.destroy();
  }
  publishResults(SECTION, [
    `Run ${started.toISOString()}: ${facts}. ${load.line}` +
      (load.disturbed ? ` **${load.disturbed}.**` : ''),
    `Code measured: ${code}.`,
    '',
    `${TRACES} addresses traced with \`trace: { protocol: udp, interval: 60s }\` (the defaults: MDA, pacing 0.5,`,
    "the routers' budget of a burst of 6 then 1 a second) and one pinged, all behind r1 and r2 of the trace",
    "bench's lab (routers' ICMP limits lifted: r2 answers every probe that expires there). Probes: nft",
    "counters on the client's output hook from the exporter's start; r2's time-exceeded messages: a counter",
    'on its output hook. Figures: one scrape at the end.',
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
  ]);
}

runBench(main);
