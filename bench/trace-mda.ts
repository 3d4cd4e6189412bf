// MDA benchmark of issue 14 (run as root: `npm run bench:trace-mda`). On the MDA lab of the e2e tests
// (test/e2e/mda-lab.ts: a 4-way split, a nested 2-way split behind one branch, a join; 5 hops), per
// protocol over IPv4: scamper's `tracelb` (MDA, 95 %) RUNS times, then RUNS + 1 rounds of our trace as
// the exporter runs them (the first at 1 − 0.05³, the others at 0.95 counting the evidence carried from
// the rounds before), and RUNS + 1 rounds that keep the flows only (no evidence carried: as before).
// Recorded: probes per trace and the responders found against the lab's truth. No CPU figures.
import { createLab, requireTools } from '../test/lab';
import { fixturePath } from '../test/support/paths';
import { buildMdaLab, mdaLabHops } from '../test/e2e/mda-lab';
import type { TraceResult } from '../probes';
import { codeState, toolVersion } from './fixtures/bench-env';
import { publishResults, runBench } from './results-file';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`BENCH_RUNS: ${RUNS}`);

interface Tally {
  probes: number[];
  whole: number;
  responders: number[];
}

const METHODS = { udp: 'udp-dport', tcp: 'tcp-sport' } as const;

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `${sorted[0]} / ${median} / ${sorted.at(-1)}`;
}

/** Addresses in scamper's tracelb text output, and its probe count ("…, N probes, 95%"). */
function parseTracelb(stdout: string): { probes: number; addresses: Set<string> } {
  const probes = Number(/(\d+) probes/.exec(stdout)?.[1] ?? NaN);
  const addresses = new Set(stdout.match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? []);
  return { probes, addresses };
}

async function main(): Promise<void> {
  requireTools('scamper', 'nft');
  const lab = await createLab();
  try {
    const m = await buildMdaLab(lab);
    const target = m.links.r4Target.b.ipv4;
    const truth = mdaLabHops(m, 'ipv4');
    const all = new Set(truth.flat());
    const lines = [
      `${RUNS} scamper runs and ${RUNS + 1} rounds of ours per protocol, IPv4, on the lab of test/e2e/mda-lab.ts`,
      `(${all.size} addresses to find at 5 hops: 1, 4, 5, 3, 1). ${codeState()}; scamper ${toolVersion(['scamper', '-v'], /version (\S+)/)}.`,
      'Probes: min / median / max per trace. Whole: traces that found every address of the lab.',
      '',
      '| protocol | tool | probes per trace | whole | addresses found (min) |',
      '| --- | --- | --- | --- | --- |',
    ];
    for (const protocol of ['udp', 'tcp'] as const) {
      const scamper: Tally = { probes: [], whole: 0, responders: [] };
      for (let run = 0; run < RUNS; run++) {
        const { stdout } = await m.client.exec(
          ['scamper', '-c', `tracelb -P ${METHODS[protocol]} -c 95`, '-i', target],
          { timeoutMs: 120_000 },
        );
        const { probes, addresses } = parseTracelb(stdout);
        const found = [...all].filter((address) => addresses.has(address)).length;
        scamper.probes.push(probes);
        scamper.responders.push(found);
        if (found === all.size) scamper.whole++;
      }
      const rounds = async (carry: boolean): Promise<TraceResult[]> => {
        const { stdout } = await m.client.exec(['node', fixturePath('trace-rounds')], {
          input: JSON.stringify({
            request: { addr: target, protocol, timeout: 0.5 },
            rounds: RUNS + 1,
            carry,
          }),
          timeoutMs: 300_000,
        });
        return JSON.parse(stdout) as TraceResult[];
      };
      const results = await rounds(true);
      const flowsOnly = await rounds(false);
      const ours = (rounds: TraceResult[]): Tally => {
        const tally: Tally = { probes: [], whole: 0, responders: [] };
        for (const result of rounds) {
          const found = new Set(result.hops.flatMap((hop) => hop.responders.map((r) => r.address)));
          const count = [...all].filter((address) => found.has(address)).length;
          tally.probes.push(result.probes);
          tally.responders.push(count);
          if (count === all.size) tally.whole++;
        }
        return tally;
      };
      const row = (tool: string, tally: Tally, runs: number): string =>
        `| ${protocol} | ${tool} | ${summary(tally.probes)} | ${tally.whole} of ${runs} | ${Math.min(...tally.responders)} of ${all.size} |`;
      lines.push(row(`scamper tracelb -P ${METHODS[protocol]} -c 95`, scamper, RUNS));
      lines.push(row('netdiag first round (1 − 0.05³)', ours(results.slice(0, 1)), 1));
      lines.push(row('netdiag later rounds (0.95, evidence carried)', ours(results.slice(1)), RUNS));
      lines.push(row('netdiag later rounds (0.95, flows kept, no evidence)', ours(flowsOnly.slice(1)), RUNS));
    }
    publishResults('MDA', lines);
  } finally {
    await lab.destroy();
  }
}

runBench(main);
