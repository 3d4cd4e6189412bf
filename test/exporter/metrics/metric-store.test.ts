import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketIndex, createPrometheusPipeline, ExporterMetrics, METRIC } from '../../../exporter/metrics';
import {
  HISTOGRAM_COUNT,
  HISTOGRAM_SUM,
  type HistogramColumn,
  type ReleasableSnapshot,
  type ScalarColumn,
} from '../../../exporter/metrics/store-snapshot';
import { parseSamples, scrapeText, select } from '../../support/scrape';

const BUCKETS = [0.001, 0.002, 0.004, 0.008];

/** The same results recorded through SDK instruments and through the exporter's store. */
async function scrapeBoth(record: (metrics: ExporterMetrics) => void) {
  const texts: string[] = [];
  for (const own of [false, true]) {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: BUCKETS,
      ...(own && { store: pipeline.store }),
    });
    record(metrics);
    texts.push(await scrapeText(pipeline));
    metrics.close();
    await pipeline.shutdown();
  }
  return texts.map((text) => parseSamples(text).filter((s) => /_rtt_seconds/.test(s.name))) as [
    ReturnType<typeof parseSamples>,
    ReturnType<typeof parseSamples>,
  ];
}

describe('MetricStore', () => {
  it('finds the bucket of a value as the SDK does: upper bounds inclusive, overflow last', () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [0.001, 0],
      [0.0010001, 1],
      [0.004, 2],
      [0.008, 3],
      [0.0081, 4],
      [5, 4],
    ];
    for (const [value, index] of cases) assert.equal(bucketIndex(BUCKETS, value), index, String(value));
    assert.equal(bucketIndex([], 1), 0);
  });

  it('exports the same ping and knock histograms as the SDK instruments', async () => {
    const rtts = [0.0005, 0.001, 0.0015, 0.003, 0.003, 0.0079, 0.02];
    const [sdk, own] = await scrapeBoth((metrics) => {
      const ping = metrics.pingSeries({ target: 'a', address: '10.0.0.1', family: 'ipv4' }, 60);
      const knock = metrics.knock.series(
        { target: 'a', address: '10.0.0.1', family: 'ipv4', port: '22' },
        60,
      );
      rtts.forEach((rtt, seq) => {
        ping.record({ seq, rtt });
        knock.record({ rtt, state: 'open' });
      });
    });
    const key = (s: { name: string; labels: Record<string, string>; value: number }) =>
      `${s.name}${JSON.stringify(s.labels)} ${s.value.toPrecision(12)}`;
    assert.equal(own.length, 2 * (BUCKETS.length + 1 + 2));
    assert.deepEqual(own.map(key).sort(), sdk.map(key).sort());
  });

  it('drops the histogram of a removed series (the SDK instruments cannot)', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: BUCKETS,
      store: pipeline.store,
    });
    const kept = { target: 'kept', address: '10.0.0.1', family: 'ipv4' };
    const gone = { target: 'gone', address: '10.0.0.2', family: 'ipv4' };
    const keptSeries = metrics.pingSeries(kept, 60);
    const goneSeries = metrics.pingSeries(gone, 60);
    keptSeries.record({ seq: 0, rtt: 0.001 });
    goneSeries.record({ seq: 0, rtt: 0.001 });
    goneSeries.remove();
    const samples = parseSamples(await scrapeText(pipeline));
    assert.equal(select(samples, 'netdiag_ping_rtt_seconds_count', kept)[0]?.value, 1);
    assert.equal(select(samples, 'netdiag_ping_rtt_seconds_count', gone).length, 0);
    metrics.close();
    await pipeline.shutdown();
  });
});

describe('MetricStore snapshots', () => {
  it("reuse a released snapshot's arrays, and never an array a live snapshot holds", async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    const store = pipeline.store;
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: BUCKETS,
      store,
      nativeHistograms: { schema: 3, zeroThreshold: 2 ** -128, maxBuckets: 160, classicInProtobuf: false },
    });
    try {
      const series = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) =>
        metrics.pingSeries({ target: address, address, family: 'ipv4' }, 60),
      );
      const record = (rtt: number): void => series.forEach((s, seq) => s.record({ seq, rtt }));
      const rttColumn = (snapshot: ReleasableSnapshot): HistogramColumn =>
        snapshot.columns.find(
          (c): c is HistogramColumn => c.kind === 'histogram' && c.descriptor.name === METRIC.pingRtt,
        )!;
      const sent = (snapshot: ReleasableSnapshot): ScalarColumn =>
        snapshot.columns.find(
          (c): c is ScalarColumn => c.kind !== 'histogram' && c.descriptor.name === METRIC.pingSent,
        )!;
      const buffers = (snapshot: ReleasableSnapshot): Set<ArrayBufferLike> => {
        const held = new Set<ArrayBufferLike>();
        for (const column of snapshot.columns) {
          held.add(column.values.buffer);
          if (column.kind === 'histogram' && column.native) {
            held
              .add(column.native.layout.buffer)
              .add(column.native.zero.buffer)
              .add(column.native.counts.buffer);
          }
        }
        return held;
      };

      record(0.001);
      const first = store.snapshot();
      record(0.003);
      const second = store.snapshot();
      const shared = [...buffers(first)].filter((buffer) => buffers(second).has(buffer));
      assert.deepEqual(shared, [], 'two live snapshots share no array');
      // The first still reads as it was taken.
      assert.deepEqual([...sent(first).values], [1, 1, 1]);
      assert.equal(rttColumn(first).values[HISTOGRAM_COUNT], 1);

      first.release();
      first.release();
      record(0.005);
      const third = store.snapshot();
      assert.equal(
        rttColumn(third).values.buffer,
        rttColumn(first).values.buffer,
        'the released array again',
      );
      assert.equal(sent(third).values.buffer, sent(first).values.buffer);
      assert.deepEqual([...sent(third).values], [3, 3, 3]);
      const rtt = rttColumn(third);
      for (let i = 0; i < rtt.length; i++) {
        assert.equal(rtt.values[i * rtt.stride + HISTOGRAM_COUNT], 3);
        assert.ok(Math.abs(rtt.values[i * rtt.stride + HISTOGRAM_SUM]! - 0.009) < 1e-12);
      }
      assert.equal(rtt.native!.zero.length, 2 * rtt.length);
      assert.equal(
        rtt.native!.counts.reduce((sum, count) => sum + count, 0),
        9,
        'three series, three RTTs each, in native buckets',
      );
      second.release();
      third.release();
    } finally {
      metrics.close();
      await pipeline.shutdown();
    }
  });
});
