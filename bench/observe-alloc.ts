// Heap bytes allocated per RTT observation (ExporterMetrics' recordPing into the store's histogram),
// classic buckets only and with native buckets: the hot path at 10,000 targets at 1 Hz. Steady state:
// every series has seen its RTTs before (their native windows already cover them), as after the
// first seconds of a run. Measured as the growth of the heap over OBSERVATIONS with no garbage
// collection in between (checked: a collection would hide what it freed), so run with
//   node --expose-gc --max-semi-space-size=64 dist/bench/observe-alloc.js
// An allocation-free path measures 0 bytes; CPU time is not measured (see bench/results.md).
import { PerformanceObserver } from 'node:perf_hooks';
import { createPrometheusPipeline, ExporterMetrics, nativeHistogramOptions } from '../exporter/metrics';

const TARGETS = 10_000;
const OBSERVATIONS = 50_000;
const ROUNDS = 5;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

let collections = 0;
new PerformanceObserver((list) => (collections += list.getEntries().length)).observe({ entryTypes: ['gc'] });

async function measure(native: boolean): Promise<{ bytes: number; collections: number }> {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: TARGETS * 10 });
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('bench'), {
    histogramBuckets: Array.from({ length: 17 }, (_, k) => 0.0001 * 2 ** k),
    store: pipeline.store,
    nativeHistograms: native
      ? nativeHistogramOptions({
          enabled: true,
          bucketFactor: 1.1,
          maxBucketCount: 160,
          classicBucketsInProtobuf: true,
        })
      : undefined,
  });
  const series = Array.from({ length: TARGETS }, (_, i) =>
    metrics.pingSeries({ target: `t${i}`, address: `10.0.${i >> 8}.${i & 255}`, family: 'ipv4' }, 60, 1),
  );
  // RTTs of one series within ±10 % of its own base (1 to 100 ms): a few native buckets each.
  const rtts = new Float64Array(1024).map((_, k) => 1 + ((k * 7919) % 1000) / 5000);
  const results = Array.from({ length: 1024 }, (_, k) => ({ seq: k, rtt: 0 }));
  const run = (count: number, from: number): void => {
    for (let n = 0; n < count; n++) {
      const i = (from + n) % TARGETS;
      const result = results[n & 1023]!;
      result.rtt = (0.001 + (i % 100) * 0.001) * rtts[n & 1023]!;
      series[i]!.record(result);
    }
  };
  run(OBSERVATIONS, 0); // warm-up: windows grown, code optimized
  // The least of ROUNDS runs: what the path itself allocates, not a compilation's or a timer's.
  let bytes = Infinity;
  let during = 0;
  for (let round = 0; round < ROUNDS; round++) {
    gc!();
    // The observer reports a collection some time after it: wait for the forced one's report.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const seen = collections;
    const before = process.memoryUsage().heapUsed;
    run(OBSERVATIONS, 7 + round);
    const after = process.memoryUsage().heapUsed;
    await new Promise((resolve) => setTimeout(resolve, 100)); // collections during the run, reported
    during += collections - seen;
    bytes = Math.min(bytes, (after - before) / OBSERVATIONS);
  }
  metrics.close();
  await pipeline.shutdown();
  return { bytes, collections: during };
}

async function main(): Promise<void> {
  for (const native of [false, true]) {
    const { bytes, collections: during } = await measure(native);
    const label = native ? 'classic + native buckets' : 'classic buckets only';
    console.log(
      `${label}: ${bytes.toFixed(2)} heap bytes per observation (least of ${ROUNDS} runs of ${OBSERVATIONS})` +
        (during > 0
          ? ` (${during} collections during the run: not a measurement, raise --max-semi-space-size)`
          : ''),
    );
  }
}

void main();
