import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketIndex, createPrometheusPipeline, ExporterMetrics } from '../../../exporter/metrics';
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
