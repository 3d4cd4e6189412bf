// A/B of one change to the exporter's configuration or flags at N ping targets (run as root:
// `npm run bench:exporter-ab`): the exporter of bench:exporter (same lab, same targets, each pinged
// every second), run as A (as configured by bench:exporter) and as B (A plus BENCH_AB_CONFIG, YAML
// keys put before the targets, BENCH_AB_FLAGS, and BENCH_AB_ENV: NAME=VALUE pairs in its environment), alternately, BENCH_AB_PAIRS times, pinned to one
// CPU: the cost of a feature (native histograms, the status page) measured the same hour on the same
// code, which separate bench:exporter runs on this VM cannot tell apart from its spells of extra CPU.
// The table goes to the section `## Exporter A/B: BENCH_AB_LABEL` of bench/results.md.
//
// usage: BENCH_AB_LABEL='native histograms off' BENCH_AB_CONFIG='native_histograms: { enabled: false }' \
//   npm run bench:exporter-ab; BENCH_AB_TARGETS (default 10000), BENCH_AB_PAIRS (default 2),
//   BENCH_DURATION (window seconds, default 60), BENCH_PIN (CPU list, default 1; empty: unpinned).
import { createLab, requireTools } from '../test/lab';
import { codeState, loadBefore, machineFacts } from './fixtures/bench-env';
import { addIputilsSource, buildDirectLab } from './fixtures/direct-lab';
import { benchAddresses, exporterConfig } from './fixtures/exporter-targets';
import { fix, measureExporter, median, type WindowFigures } from './fixtures/exporter-window';
import { COST_COLUMNS, costRow } from './fixtures/window-table';
import { publishResults, runBench } from './results-file';

const TARGETS = Number(process.env.BENCH_AB_TARGETS ?? 10_000);
const PAIRS = Number(process.env.BENCH_AB_PAIRS ?? 2);
const DURATION = Number(process.env.BENCH_DURATION ?? 60);
const PIN = process.env.BENCH_PIN ?? '1';
const LABEL = process.env.BENCH_AB_LABEL ?? '';
const CONFIG_B = process.env.BENCH_AB_CONFIG ?? '';
const FLAGS_B = (process.env.BENCH_AB_FLAGS ?? '').split(/\s+/).filter((f) => f !== '');
const ENV_B = (process.env.BENCH_AB_ENV ?? '').split(/\s+/).filter((f) => f !== '');
const WARMUP = 10;
const SCRAPES = 5;
if (!Number.isInteger(TARGETS) || TARGETS < 1 || TARGETS > 65536)
  throw new Error(`BENCH_AB_TARGETS: ${TARGETS}`);
if (!Number.isInteger(PAIRS) || PAIRS < 1) throw new Error(`BENCH_AB_PAIRS: ${PAIRS}`);
if (!Number.isFinite(DURATION) || DURATION < 1) throw new Error(`BENCH_DURATION: ${DURATION}`);
if (LABEL === '' || (CONFIG_B === '' && FLAGS_B.length === 0 && ENV_B.length === 0))
  throw new Error(
    'BENCH_AB_LABEL and BENCH_AB_CONFIG, BENCH_AB_FLAGS or BENCH_AB_ENV are required (see the usage)',
  );
if (ENV_B.some((pair) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(pair)))
  throw new Error(`BENCH_AB_ENV: NAME=VALUE pairs, got ${ENV_B.join(' ')}`);

interface Run {
  variant: 'A' | 'B';
  pair: number;
  w: WindowFigures;
}

const cores = (w: WindowFigures): number => w.cpuUser + w.cpuSystem;

/** Median of each variant's runs and B − A, for one figure. */
function summaryRow(
  what: string,
  runs: readonly Run[],
  figure: (w: WindowFigures) => number | null,
  digits: number,
): string {
  const of = (variant: 'A' | 'B'): number | null =>
    median(runs.filter((r) => r.variant === variant).flatMap((r) => figure(r.w) ?? []));
  const [a, b] = [of('A'), of('B')];
  return `| ${what} | ${fix(a, digits)} | ${fix(b, digits)} | ${a === null || b === null ? 'n/a' : fix(b - a, digits)} |`;
}

async function main(): Promise<void> {
  requireTools('ping', 'curl', 'taskset');
  const started = new Date();
  const code = codeState();
  const facts = machineFacts();
  const load = loadBefore();
  const addrs = benchAddresses(TARGETS);
  const reference = addrs[Math.floor(TARGETS / 2)]!;
  const configA = exporterConfig(addrs);
  const configB = `${CONFIG_B}\n${configA}`;
  const wrapper = PIN === '' ? [] : ['taskset', '-c', PIN];
  const runs: Run[] = [];
  const lab = await createLab();
  try {
    const { client, link } = await buildDirectLab(lab);
    const iputilsSource = await addIputilsSource(lab, link);
    for (let pair = 1; pair <= PAIRS; pair++)
      for (const variant of ['A', 'B'] as const) {
        console.error(`${new Date().toISOString()} ${variant}, pair ${pair} of ${PAIRS}`);
        const w = await measureExporter(client, variant === 'A' ? configA : configB, {
          warmupSeconds: WARMUP,
          seconds: DURATION,
          reference,
          iputilsSource,
          scrapes: SCRAPES,
          wrapper: variant === 'B' && ENV_B.length > 0 ? ['env', ...ENV_B, ...wrapper] : wrapper,
          ...(variant === 'B' && { extraArgs: FLAGS_B }),
        });
        runs.push({ variant, pair, w });
        console.error(`  ${costRow(`${variant} ${pair}`, w)}`);
      }
  } finally {
    await lab.destroy();
  }
  const lines = [
    `Run ${started.toISOString()}: ${facts}. ${load.line}` +
      (load.disturbed ? ` **All rows ${load.disturbed}.**` : ''),
    `Code measured: ${code}.`,
    '',
    `${TARGETS} ping targets (every 1 s, timeout 1 s) in bench:exporter's lab, ` +
      `${PIN === '' ? 'unpinned' : `pinned to CPU ${PIN} (taskset)`}; A as bench:exporter configures it, ` +
      `B with \`${[CONFIG_B, ...FLAGS_B, ...ENV_B].filter((x) => x !== '').join(' ')}\`. ${PAIRS} pairs run A then B, ` +
      `each its own process: ${WARMUP} s warm-up, a ${DURATION} s window between two scrapes, then ${SCRAPES} timed scrapes ` +
      '(columns as in the Knock and Trace sections).',
    '',
    `| ${COST_COLUMNS.join(' | ')} |`,
    `|${'---|'.repeat(COST_COLUMNS.length)}`,
    ...runs.map((r) => costRow(`${r.variant} ${r.pair}`, r.w)),
    '',
    '| median | A | B | B − A |',
    '|---|---|---|---|',
    summaryRow('CPU (cores)', runs, cores, 3),
    summaryRow('user', runs, (w) => w.cpuUser, 3),
    summaryRow('system', runs, (w) => w.cpuSystem, 3),
    summaryRow('peak RSS, window (MB)', runs, (w) => w.rssWindowMb, 0),
    summaryRow('peak RSS, after scrapes (MB)', runs, (w) => w.rssMb, 0),
    summaryRow('/metrics median (s)', runs, (w) => w.scrapeSeconds, 3),
    '',
  ];
  publishResults(`Exporter A/B: ${LABEL}`, lines);
}

runBench(main);
