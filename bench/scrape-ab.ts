// Two builds' renderings of one /metrics answer at 10,000 ping targets, A/B in one process: each
// build gets its own fixture (bench/fixtures/ping-targets.ts, the same values in both), and their
// renderings alternate, the order flipped each round, with a scrape interval of results recorded
// between two rounds (untimed). On a shared machine the load then falls on both alike, where runs
// of `bench:scrape-time` one build after the other differ by more than the change measured.
// Process CPU time (garbage collector threads included), median from the 4th rendering (the first
// fills the caches, the next two are still optimizing), and the median of the paired differences.
//
// usage: npm run bench:scrape-ab -- DIST_A DIST_B [renderings, default 30] [protobuf|text, default
// protobuf] [gc: a full garbage collection before each rendering]; DIST_* are builds' dist
// directories (this one's is ./dist; another commit's, built in a worktree, with node_modules
// reachable from it).
import { resolve } from 'node:path';
import type { ServerResponse } from 'node:http';
import { CountingResponse } from './fixtures/counting-response';
import { pingTargets, type BuildModules, type PingTargets } from './fixtures/ping-targets';

const TARGETS = 10_000;
const SCRAPE_INTERVAL_SECONDS = 15;
const ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

interface Rendering {
  ms: number;
  cpuMs: number;
  bytes: number;
}

function load(dist: string): BuildModules {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const metrics = require(resolve(dist, 'exporter/metrics')) as BuildModules['metrics'];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(resolve(dist, 'exporter/config')) as BuildModules['config'];
  return { metrics, config };
}

async function render(handler: PingTargets['handler'], format: string): Promise<Rendering> {
  const response = new CountingResponse();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  handler(
    { headers: format === 'protobuf' ? { accept: ACCEPT_PROTOBUF } : {}, socket: undefined } as never,
    response as unknown as ServerResponse,
  );
  await response.ended;
  const cpu = process.cpuUsage(cpuBefore);
  return { ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, bytes: response.bytes };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const [distA, distB, roundsArg, format = 'protobuf', gcArg] = process.argv.slice(2);
  if (distA === undefined || distB === undefined) {
    console.error('usage: scrape-ab DIST_A DIST_B [renderings] [protobuf|text] [gc]');
    process.exit(2);
  }
  const rounds = Math.max(4, Number(roundsArg ?? 30));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gcArg === 'gc' && !gc) throw new Error('gc needs node --expose-gc');
  const builds = [
    { name: 'A', dist: distA, fixture: pingTargets(load(distA), TARGETS), runs: [] as Rendering[] },
    { name: 'B', dist: distB, fixture: pingTargets(load(distB), TARGETS), runs: [] as Rendering[] },
  ];
  for (let k = 0; k < rounds; k++) {
    if (k > 0) for (const { fixture } of builds) fixture.advance(SCRAPE_INTERVAL_SECONDS);
    for (const build of k % 2 === 0 ? builds : [...builds].reverse()) {
      if (gcArg === 'gc') gc!();
      build.runs.push(await render(build.fixture.handler, format));
    }
  }
  console.log(
    `${TARGETS} targets, ${format}${gcArg === 'gc' ? ', a full gc before each rendering' : ''}, ${rounds} renderings each`,
  );
  for (const { name, dist, runs } of builds) {
    const rest = runs.slice(3);
    console.log(
      `${name} (${dist}): ${(runs[0]!.bytes / 1e6).toFixed(2)} MB; first three CPU ` +
        `${runs
          .slice(0, 3)
          .map((r) => r.cpuMs.toFixed(0))
          .join(', ')} ms; from the 4th: CPU ${median(rest.map((r) => r.cpuMs)).toFixed(1)} ms, ` +
        `${median(rest.map((r) => r.ms)).toFixed(1)} ms`,
    );
  }
  const [a, b] = builds;
  const differences = b!.runs.slice(3).map((r, i) => r.cpuMs - a!.runs[i + 3]!.cpuMs);
  console.log(`B - A, CPU per rendering from the 4th: median ${median(differences).toFixed(1)} ms`);
  for (const { fixture } of builds) {
    fixture.metrics.close();
    fixture.handler.close();
  }
}

void main();
