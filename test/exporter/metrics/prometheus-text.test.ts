import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { createPrometheusPipeline, PrometheusTextWriter } from '../../../exporter/metrics';

/** Every kind of instrument and every escaping case, collected by a real pipeline. */
async function collectSample() {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 100, resource: { 'site.name': 'a"b' } });
  const meter = pipeline.meterProvider.getMeter('test');
  const odd = { 'target.name': 'a"b\\c\nd', n: 7, flag: true };
  meter
    .createHistogram('h_seconds', {
      description: 'help with \\ and\nnewline',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.5] },
    })
    .record(0.2, odd);
  const histogram = meter.createHistogram('h2', { advice: { explicitBucketBoundaries: [1] } });
  histogram.record(3);
  histogram.record(0.5, { x: 'y' });
  meter.createCounter('c_count').add(2, odd);
  meter.createCounter('c_total').add(1.5);
  meter.createUpDownCounter('updown').add(-3, { k: 'v' });
  meter.createObservableGauge('g', { unit: '1' }).addCallback((r) => {
    r.observe(Infinity, { s: '+' });
    r.observe(-Infinity, { s: '-' });
    r.observe(1e-7, { s: 'small' });
  });
  const { resourceMetrics } = await pipeline.exporter.collect();
  return { pipeline, resourceMetrics };
}

describe('PrometheusTextWriter', () => {
  it('writes exactly what the OpenTelemetry Prometheus serializer writes', async () => {
    const { pipeline, resourceMetrics } = await collectSample();
    const expected = new PrometheusSerializer('', false, undefined, false, true).serialize(resourceMetrics);
    const writer = new PrometheusTextWriter();
    let actual = writer.targetInfo(resourceMetrics.resource.attributes);
    for (const { metrics } of resourceMetrics.scopeMetrics) {
      for (const metric of metrics) {
        actual += writer.header(metric) + writer.samples(metric, 0, metric.dataPoints.length);
      }
    }
    assert.equal(actual, expected);
    await pipeline.shutdown();
  });

  it('serializes any slice of the data points, and the same text again from its caches', async () => {
    const { pipeline, resourceMetrics } = await collectSample();
    const writer = new PrometheusTextWriter();
    for (const { metrics } of resourceMetrics.scopeMetrics) {
      for (const metric of metrics) {
        const whole = writer.samples(metric, 0, metric.dataPoints.length);
        let pieces = '';
        for (let i = 0; i < metric.dataPoints.length; i++) pieces += writer.samples(metric, i, i + 1);
        assert.equal(pieces, whole);
        assert.equal(writer.samples(metric, 0, metric.dataPoints.length), whole);
      }
    }
    await pipeline.shutdown();
  });
});
