import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useLab, requireTools, type Netns } from '../lab';
import { buildRoutedLab } from './routed-lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';
import { LINUX_ICMP_LIMITS, RATE_MARGIN } from '../../probes/trace/pacing/responder-budget';

/** Targets traced at once, every one behind the same two routers. */
const TARGETS = 60;
const INTERVAL_S = 20;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Many targets behind the same routers, as a real exporter traces them: each target's first round
// knows nothing of the path, and most of them have their first-hop probes held back for r1's budget.
// Their probes at TTL 2 still reach r2. Charged to a bucket of each trace's own, they sent r2 a burst
// per target (bench/results.md, "Trace, the routers' budget at scale"); charged to the router other
// traces saw there, r2 gets what its budget allows. The routers' ICMP limits are lifted, so r2
// answers every probe that expires there: its time-exceeded messages count what the exporter asked.
describe("trace: many targets behind shared routers stay within each router's budget", () => {
  const lab = useLab();
  let client: Netns;
  let exporter: ExporterProcess;
  let r2Errors: () => Promise<number>;
  let r1Errors: () => Promise<number>;
  let startedAt = 0;
  const targets = Array.from({ length: TARGETS }, (_, i) => `10.201.0.${10 + i}`);

  before(async () => {
    requireTools('curl', 'nft');
    const l = lab();
    const net = await buildRoutedLab(l, '10.201.0.0/24');
    client = net.client;
    const { r1, r2 } = net;
    r1Errors = await l.counter(r1, 'r1errors', 'icmp type time-exceeded', { hook: 'output' });
    r2Errors = await l.counter(r2, 'r2errors', 'icmp type time-exceeded', { hook: 'output' });
    const lines = [
      'defaults:',
      `  trace: { protocol: udp, interval: ${INTERVAL_S}s }`,
      'targets:',
      ...targets.map((host, i) => `  - { name: t${i}, host: ${host}, trace: {} }`),
    ];
    startedAt = performance.now();
    exporter = await startExporter(client, `${lines.join('\n')}\n`);
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0);
  });

  it("sends each router no more than its budget allows, and every target's rounds reach the destination", async () => {
    let samples: Sample[] = [];
    // Every target's first round has started within one interval and ends within its pacing window.
    for (let i = 0; i < 120; i++) {
      samples = await exporter.scrape();
      const rounds = select(samples, 'netdiag_trace_rounds_total', { protocol: 'udp' });
      if (rounds.length === TARGETS && rounds.every((s) => s.value >= 1)) break;
      await sleep(500);
    }
    const [atR1, atR2] = [await r1Errors(), await r2Errors()];
    const seconds = (performance.now() - startedAt) / 1000;
    const reached = select(samples, 'netdiag_trace_reached', { protocol: 'udp' });
    assert.equal(reached.length, TARGETS, 'a round of every target');
    assert.deepEqual(
      reached.filter((s) => s.value !== 1).map((s) => s.labels.target),
      [],
      'every target reached its destination',
    );
    // What one router's bucket lets through in `seconds`, plus one burst: until a first answer taught
    // the budget who answers at a hop, the probes there drew on a bucket standing for the unknown router.
    const { burst, perSecond } = LINUX_ICMP_LIMITS;
    const allowed = 2 * burst + seconds * perSecond * RATE_MARGIN;
    const shown = `r1 ${atR1}, r2 ${atR2} time-exceeded in ${seconds.toFixed(1)} s (allowed ${allowed.toFixed(1)})`;
    console.log(shown);
    assert.ok(atR1 <= allowed, shown);
    assert.ok(atR2 <= allowed, shown);
    // Not a test that cannot fail by sending nothing: both routers were probed.
    assert.ok(atR1 >= LINUX_ICMP_LIMITS.burst && atR2 >= LINUX_ICMP_LIMITS.burst, shown);
  });
});
