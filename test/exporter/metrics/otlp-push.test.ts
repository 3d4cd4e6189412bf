import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrometheusPipeline, ExporterMetrics } from '../../../exporter/metrics';
import {
  attributesOf,
  metricsNamed,
  OtlpReceiver,
  resourceOf,
  type OtlpExportRequest,
} from '../../support/otlp-receiver';
import { parseSamples, scrapeText } from '../../support/scrape';

/** AggregationTemporality.CUMULATIVE in OTLP. */
const CUMULATIVE = 2;
const BUCKETS = [0.001, 0.01, 0.1];
const RESOURCE = {
  'service.name': 'netdiag-exporter',
  'service.instance.id': 'netdiag-exporter-1',
  site: 'ams',
};

function pipelineTo(receiver: OtlpReceiver, onError?: (error: Error) => void) {
  const pipeline = createPrometheusPipeline({
    cardinalityLimit: 1000,
    resource: RESOURCE,
    otlp: {
      url: `${receiver.url}/v1/metrics`,
      intervalMs: 200,
      timeoutMs: 200,
      headers: { authorization: 'Bearer secret' },
      ...(onError && { onError }),
    },
  });
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
    histogramBuckets: BUCKETS,
    store: pipeline.store,
  });
  return { pipeline, metrics };
}

const hasPing = (body: OtlpExportRequest): boolean =>
  metricsNamed(body, 'netdiag_ping_sent_total').length > 0;

describe('OTLP push of the exporter pipeline', () => {
  it('pushes the store’s histogram and counters with the resource and headers to /v1/metrics', async () => {
    const receiver = await OtlpReceiver.listen();
    const { pipeline, metrics } = pipelineTo(receiver);
    try {
      const labels = { target: 'gw', address: '10.0.0.1', family: 'ipv4', site: 'ams' };
      const series = metrics.pingSeries(labels, 60);
      series.record({ seq: 0, rtt: 0.0005 });
      series.record({ seq: 1, rtt: 0.02 });
      series.record({ seq: 2, rtt: null, failure: { reason: 'timeout' } });
      const exports = await receiver.waitFor(2, 5000);
      const { path, headers, body } = exports.find((e) => hasPing(e.body)) ?? assert.fail('no ping metrics');
      assert.equal(path, '/v1/metrics');
      assert.equal(headers.authorization, 'Bearer secret');
      assert.deepEqual(resourceOf(body), RESOURCE);

      const rtt = metricsNamed(body, 'netdiag_ping_rtt_seconds')[0] ?? assert.fail('no RTT histogram');
      const point = rtt.histogram?.dataPoints[0] ?? assert.fail('no histogram point');
      assert.equal(rtt.histogram?.aggregationTemporality, CUMULATIVE);
      assert.equal(rtt.unit, 's');
      assert.deepEqual(attributesOf(point.attributes), labels);
      assert.equal(Number(point.count), 2);
      assert.ok(Math.abs((point.sum ?? 0) - 0.0205) < 1e-12, `sum ${point.sum}`);
      assert.deepEqual(point.explicitBounds, BUCKETS);
      assert.deepEqual(point.bucketCounts.map(Number), [1, 0, 1, 0]);

      const sent = metricsNamed(body, 'netdiag_ping_sent_total')[0] ?? assert.fail('no sent counter');
      const sentPoint = sent.sum?.dataPoints[0] ?? assert.fail('no sum point');
      assert.equal(sent.sum?.isMonotonic, true);
      assert.equal(sent.sum?.aggregationTemporality, CUMULATIVE);
      assert.equal(Number(sentPoint.asInt ?? sentPoint.asDouble), 3);
      assert.deepEqual(attributesOf(sentPoint.attributes), labels);
      const [received] = metricsNamed(body, 'netdiag_ping_received_total');
      const receivedPoint = received?.sum?.dataPoints[0];
      assert.equal(Number(receivedPoint?.asInt ?? receivedPoint?.asDouble), 2);

      // The Prometheus side reads the same resource: target_info.
      const info = parseSamples(await scrapeText(pipeline)).find((s) => s.name === 'target_info');
      assert.deepEqual(info?.labels, {
        service_name: 'netdiag-exporter',
        service_instance_id: 'netdiag-exporter-1',
        site: 'ams',
      });
    } finally {
      metrics.close();
      await pipeline.shutdown();
      await receiver.close();
    }
  });

  it('pushes every interval, counters growing, and once more on shutdown', async () => {
    const receiver = await OtlpReceiver.listen();
    const { pipeline, metrics } = pipelineTo(receiver);
    const series = metrics.pingSeries({ target: 'gw', address: '10.0.0.1', family: 'ipv4' }, 60);
    const started = Date.now();
    const timer = setInterval(() => series.record({ seq: 0, rtt: 0.001 }), 20);
    try {
      await receiver.waitFor(5, 5000);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 4 * 200 && elapsed < 5 * 200 + 1500, `5 pushes took ${elapsed} ms at 200 ms`);
      const sent = receiver.received.map(({ body }) => {
        const point = metricsNamed(body, 'netdiag_ping_sent_total')[0]?.sum?.dataPoints[0];
        return Number(point?.asInt ?? point?.asDouble ?? 0);
      });
      for (let i = 1; i < sent.length; i++) assert.ok(sent[i]! >= sent[i - 1]!, `cumulative: ${sent.join()}`);
      assert.ok(sent.at(-1)! > sent[0]!, `grows: ${sent.join()}`);
    } finally {
      clearInterval(timer);
    }
    const before = receiver.received.length;
    series.record({ seq: 1, rtt: 0.001 });
    await pipeline.shutdown();
    assert.equal(receiver.received.length, before + 1, 'shutdown pushed the last values');
    metrics.close();
    await receiver.close();
  });

  it('reports failed pushes (receiver answering 503) to onError and keeps pushing', async () => {
    const receiver = await OtlpReceiver.listen();
    receiver.status = 503;
    const errors: Error[] = [];
    const { pipeline, metrics } = pipelineTo(receiver, (error) => errors.push(error));
    try {
      // 503 is retryable: the exporter retries within the timeout, each attempt reaching the receiver.
      await receiver.waitFor(2, 5000);
      const deadline = Date.now() + 3000;
      while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(errors.length > 0, 'onError was called');
      receiver.status = 200;
      const count = receiver.received.length;
      await receiver.waitFor(count + 2, 5000);
    } finally {
      metrics.close();
      await pipeline.shutdown();
      await receiver.close();
    }
  });
});
