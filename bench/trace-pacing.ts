// Pacing benchmark of issue 14, item 3 (run as root: `npm run bench:trace-pacing`). On the MDA lab
// (test/e2e/mda-lab.ts) with Linux's default ICMP limits on every router and the target, per-hop
// response loss side by side: `mtr -r -c 10` (UDP, and TCP SYN with -T) and the exporter's paced MDA
// rounds (UDP and TCP at 10 s, pacing 0.5), then the same rounds unpaced (pacing 0). Recorded: loss
// per hop, probes and skipped probes per round: figures that do not depend on the machine's load.
//
// BENCH_TRACE_TARGETS=1000 adds the scale run: that many UDP targets (AnyIP addresses of the target
// namespace, all behind r1) traced every minute for BENCH_DURATION seconds; recorded: probes sent at
// TTL 1 (nft) against the budget's bound, rounds, probes and skipped probes. No CPU figures: run it on
// a quiet machine and read them yourself (`ps`), the shared development machine cannot give them.
import { createLab, requireTools, type Lab } from '../test/lab';
import { startExporter, type ExporterProcess } from '../test/support/exporter-process';
import { select } from '../test/support/scrape';
import { buildMdaLab, restoreLinuxIcmpLimits, type MdaLab } from '../test/e2e/mda-lab';
import { codeState, toolVersion } from './fixtures/bench-env';
import { publishResults, runBench } from './results-file';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SCALE_TARGETS = Number(process.env.BENCH_TRACE_TARGETS ?? 0);
const SCALE_SECONDS = Number(process.env.BENCH_DURATION ?? 180);
const PORT = 9571;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Seconds for every router's bucket to be full again between two tools (burst 6 at 1/s). */
const REFILL_MS = 8000;

/** Per-hop loss (percent) of `mtr -r` text: lines like `  1.|-- 10.0.1.2   0.0%    10 …`. */
function parseMtr(stdout: string): number[] {
  const losses: number[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^\s*(\d+)\.\|--\s+\S+\s+([\d.]+)%/.exec(line);
    if (match) losses[Number(match[1]) - 1] = Number(match[2]);
  }
  return losses;
}

async function mtr(m: MdaLab, target: string, tcp: boolean): Promise<number[]> {
  const args = ['mtr', '-r', '-n', '-c', '10', ...(tcp ? ['-T', '-P', '443'] : ['-u']), target];
  const { stdout } = await m.client.exec(args, { timeoutMs: 120_000 });
  return parseMtr(stdout);
}

interface Rounds {
  /** Per hop, the mean loss (percent) over the rounds after the first. */
  loss: number[];
  probes: number[];
  skipped: number[];
}

/** Runs the exporter on `config` until each target did `rounds` rounds; per target what they showed. */
async function exporterRounds(
  m: MdaLab,
  config: string,
  targets: string[],
  rounds: number,
): Promise<Map<string, Rounds>> {
  const exporter: ExporterProcess = await startExporter(m.client, config, PORT);
  const seen = new Map(
    targets.map((t) => [
      t,
      {
        losses: [] as Array<Map<number, number>>,
        probes: [] as number[],
        skipped: [] as number[],
        round: 0,
        p: 0,
        s: 0,
      },
    ]),
  );
  try {
    const end = Date.now() + (rounds + 2) * 15_000;
    while (Date.now() < end && [...seen.values()].some((s) => s.round < rounds)) {
      const samples = await exporter.scrape();
      for (const [target, s] of seen) {
        const one = (name: string): number => select(samples, name, { target })[0]?.value ?? 0;
        const round = one('netdiag_trace_rounds_total');
        if (round === s.round) continue;
        s.round = round;
        s.losses.push(
          new Map(
            select(samples, 'netdiag_trace_hop_loss_ratio', { target }).map((x) => [
              Number(x.labels.hop),
              x.value,
            ]),
          ),
        );
        const probes = one('netdiag_trace_probes_total');
        const skipped = one('netdiag_trace_probes_skipped_total');
        s.probes.push(probes - s.p);
        s.skipped.push(skipped - s.s);
        s.p = probes;
        s.s = skipped;
      }
      await sleep(250);
    }
  } finally {
    await exporter.stop();
  }
  const out = new Map<string, Rounds>();
  for (const [target, s] of seen) {
    const later = s.losses.slice(1);
    const hops = Math.max(0, ...later.map((l) => Math.max(0, ...l.keys())));
    const loss = Array.from({ length: hops }, (_, i) => {
      const values = later.map((l) => l.get(i + 1)).filter((v): v is number => v !== undefined);
      return values.length === 0 ? NaN : (100 * values.reduce((a, b) => a + b, 0)) / values.length;
    });
    out.set(target, { loss, probes: s.probes.slice(1), skipped: s.skipped.slice(1) });
  }
  return out;
}

const percents = (values: number[]): string =>
  values.map((v) => (Number.isNaN(v) ? '–' : `${v.toFixed(0)}`)).join(' / ');
const range = (values: number[]): string =>
  values.length === 0 ? '–' : `${Math.min(...values)}–${Math.max(...values)}`;

function config(m: MdaLab, pacing: number): string {
  const target = m.links.r4Target.b.ipv4;
  return `defaults:\n  trace: { interval: 10s, timeout: 500ms, pacing: ${pacing} }\ntargets:\n  - { name: udp, host: ${target}, trace: {} }\n  - { name: tcp, host: ${target}, trace: { protocol: tcp, port: 443 } }\n`;
}

async function scale(lab: Lab, m: MdaLab, lines: string[]): Promise<void> {
  await lab.addAnyIp(m.target, '10.0.128.0/20');
  const ttl1 = await lab.counter(m.client, 'pacb_ttl1', 'ip ttl 1', { hook: 'output' });
  let text = 'defaults:\n  trace: { interval: 1m, timeout: 500ms }\ntargets:\n';
  const names: string[] = [];
  for (let i = 0; i < SCALE_TARGETS; i++) {
    names.push(`t${i}`);
    text += `  - { name: t${i}, host: 10.0.${128 + (i >> 8)}.${i & 255}, trace: {} }\n`;
  }
  const started = Date.now();
  const exporter = await startExporter(m.client, text, PORT);
  try {
    await sleep(SCALE_SECONDS * 1000);
    const samples = await exporter.scrape();
    const seconds = (Date.now() - started) / 1000;
    const sum = (name: string): number => select(samples, name).reduce((a, s) => a + s.value, 0);
    const hop1 = select(samples, 'netdiag_trace_hop_loss_ratio', { hop: '1' }).map((s) => s.value);
    lines.push(
      '',
      `Scale: ${SCALE_TARGETS} UDP targets behind r1, every 1m, over ${seconds.toFixed(0)} s: ${sum('netdiag_trace_rounds_total')} rounds, ` +
        `${sum('netdiag_trace_probes_total')} probes sent, ${sum('netdiag_trace_probes_skipped_total')} skipped; ` +
        `${await ttl1()} probes at TTL 1 (the budget's bound: 6 + ${seconds.toFixed(0)}); hop 1 loss mean ` +
        `${hop1.length ? ((100 * hop1.reduce((a, b) => a + b, 0)) / hop1.length).toFixed(1) : '–'} % over ${hop1.length} targets with a hop 1.`,
    );
  } finally {
    await exporter.stop();
  }
}

async function main(): Promise<void> {
  requireTools('mtr', 'nft');
  const lab = await createLab();
  try {
    const m = await buildMdaLab(lab, 'pacb');
    await restoreLinuxIcmpLimits(m);
    const target = m.links.r4Target.b.ipv4;
    const lines = [
      `MDA lab (test/e2e/mda-lab.ts), IPv4, Linux's default ICMP limits on every router and the target. ${codeState()}; ${toolVersion(['mtr', '--version'], /mtr (\S+)/)}.`,
      `Loss: percent per hop 1 / 2 / 3 / 4 / 5. mtr: one report of 10 cycles. netdiag: mean over ${ROUNDS - 1} rounds after the first, 10 s interval.`,
      '',
      '| protocol | tool | loss per hop (%) | probes per round | skipped per round |',
      '| --- | --- | --- | --- | --- |',
    ];
    const mtrUdp = await mtr(m, target, false);
    await sleep(REFILL_MS);
    const mtrTcp = await mtr(m, target, true);
    await sleep(REFILL_MS);
    const paced = await exporterRounds(m, config(m, 0.5), ['udp', 'tcp'], ROUNDS);
    await sleep(REFILL_MS);
    const bursts = await exporterRounds(m, config(m, 0), ['udp', 'tcp'], ROUNDS);
    for (const protocol of ['udp', 'tcp'] as const) {
      lines.push(
        `| ${protocol} | mtr -r -c 10${protocol === 'tcp' ? ' -T' : ''} | ${percents(protocol === 'udp' ? mtrUdp : mtrTcp)} | 10 per hop | – |`,
      );
      for (const [name, rounds] of [
        ['netdiag, pacing 0.5 (default)', paced],
        ['netdiag, pacing 0 (bursts)', bursts],
      ] as const) {
        const r = rounds.get(protocol)!;
        lines.push(
          `| ${protocol} | ${name} | ${percents(r.loss)} | ${range(r.probes)} | ${range(r.skipped)} |`,
        );
      }
    }
    if (SCALE_TARGETS > 0) {
      await sleep(REFILL_MS);
      await scale(lab, m, lines);
    }
    publishResults('Trace pacing', lines);
  } finally {
    await lab.destroy();
  }
}

runBench(main);
