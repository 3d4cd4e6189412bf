// Ping benchmark (run as root: `npm run bench:ping`). Builds a lab (client and target namespaces,
// AnyIP range on the target), drives one Pinger at set rates, compares its RTT with iputils ping to
// one address of the same set in the same run, and writes the figures to bench/results.md.
import * as path from 'node:path';
import { createLab, type Netns } from '../test/lab';
import { parseIputilsSummary } from '../test/support/iputils';
import { repoRoot } from '../test/support/paths';
import { writeResults } from './results-file';

interface LoadResult {
  sent: number;
  received: number;
  achievedRate: number;
  meanRtt: number | null;
  referenceMeanRtt: number | null;
  referenceCount: number;
  cpuSeconds: number;
  cpuUserSeconds: number;
  wallSeconds: number;
  rssPeakMb: number;
  maxLagMs: number;
}

const fixture = path.join(repoRoot, 'dist', 'bench', 'fixtures', 'ping-load.js');
const DURATION = Number(process.env.BENCH_DURATION ?? 20);

function addresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `10.200.${i >> 8}.${i & 255}`);
}

async function runLoad(
  client: Netns,
  addrs: string[],
  rate: number,
  duration: number,
): Promise<{ load: LoadResult; iputilsMean: number | null }> {
  const reference = addrs[Math.floor(addrs.length / 2)]!;
  const iputils = client.exec(
    ['ping', '-q', '-i', '0.2', '-w', String(Math.max(1, duration - 1)), reference],
    { check: false, timeoutMs: (duration + 30) * 1000 },
  );
  const { stdout } = await client.exec(['node', fixture], {
    input: JSON.stringify({ addrs, rate, duration, timeout: 1, reference }),
    timeoutMs: (duration + 60) * 1000,
  });
  const load = JSON.parse(stdout) as LoadResult;
  const summary = parseIputilsSummary((await iputils).stdout);
  return { load, iputilsMean: summary.avg };
}

const us = (seconds: number | null): string => (seconds === null ? 'n/a' : (seconds * 1e6).toFixed(1));

async function main(): Promise<void> {
  const lab = await createLab();
  const lines: string[] = [];
  const log = (line: string): void => {
    console.log(line);
    lines.push(line);
  };
  try {
    const client = await lab.namespace('client');
    const target = await lab.namespace('target');
    const link = await lab.connect(client, target);
    await lab.addAnyIp(target, '10.200.0.0/16');
    await lab.route(client, '10.200.0.0/16', link.b);

    log(`Run ${new Date().toISOString()}, ${DURATION} s per rate, node ${process.version}, 2 cores.`);
    log(
      'CPU is the Pinger process only; its system time includes the target namespace answering, since a veth',
    );
    log(
      "delivers in the sender's context. RTT offset: mean RTT to one address of the set minus iputils ping's to it, same run.",
    );
    log('');
    log(
      '| addresses | rate (req/s) | achieved | sent | received | CPU s / 1000 pings | CPU (cores) | of which user | peak RSS (MB) | max send lag (ms) | mean RTT (µs) | ref. mean (µs) | iputils mean (µs) | offset vs iputils (µs) |',
    );
    log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const [count, rate] of [
      [1000, 1000],
      [10000, 10000],
    ] as const) {
      const { load, iputilsMean } = await runLoad(client, addresses(count), rate, DURATION);
      const offset =
        load.referenceMeanRtt !== null && iputilsMean !== null ? load.referenceMeanRtt - iputilsMean : null;
      log(
        `| ${count} | ${rate} | ${load.achievedRate.toFixed(0)} | ${load.sent} | ${load.received} | ` +
          `${((load.cpuSeconds / load.sent) * 1000).toFixed(3)} | ${(load.cpuSeconds / load.wallSeconds).toFixed(3)} | ${(load.cpuUserSeconds / load.wallSeconds).toFixed(3)} | ` +
          `${load.rssPeakMb.toFixed(0)} | ${load.maxLagMs.toFixed(1)} | ${us(load.meanRtt)} | ${us(load.referenceMeanRtt)} | ${us(iputilsMean)} | ${us(offset)} |`,
      );
    }

    log('');
    log(
      'Highest sustained echo rate of one Pinger (10,000 addresses, 5 s per step; sustained = achieved within 2 % of the asked rate and under 0.1 % loss):',
    );
    log('');
    log('| asked (req/s) | achieved | loss | CPU (cores) |');
    log('|---|---|---|---|');
    let best = 0;
    for (const rate of [20000, 30000, 40000, 60000, 80000]) {
      const { load } = await runLoad(client, addresses(10000), rate, 5);
      const loss = 1 - load.received / load.sent;
      log(
        `| ${rate} | ${load.achievedRate.toFixed(0)} | ${(loss * 100).toFixed(2)} % | ${(load.cpuSeconds / load.wallSeconds).toFixed(2)} |`,
      );
      if (load.achievedRate < rate * 0.98 || loss > 0.001) break;
      best = rate;
    }
    log('');
    log(`Sustained: ${best} echo requests per second.`);
  } finally {
    await lab.destroy();
  }
  writeResults('Ping', lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
