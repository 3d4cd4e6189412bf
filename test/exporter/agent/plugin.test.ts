import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  DataPointType,
  type ExponentialHistogramMetricData,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { netdiagViews, parseConfig, startAgent } from '../../../index';

// Runs as root (raw sockets) against loopback only.
describe('startAgent inside an application MeterProvider', () => {
  it('records the same metric names into the host pipeline, with no HTTP server of ours', async () => {
    const config = parseConfig(
      `
targets:
  - name: lo4
    host: 127.0.0.1
    labels: { app: host-service }
    ping: { interval: 50ms, timeout: 50ms }
  - name: lo6
    host: "::1"
    ping: { interval: 50ms, timeout: 50ms }
`,
      'inline.yaml',
    );
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({
      readers: [reader],
      views: netdiagViews(config.cardinalityLimit),
    });
    const agent = await startAgent({ config, meterProvider });
    await new Promise((resolve) => setTimeout(resolve, 700));
    await reader.forceFlush();
    await agent.close();
    await agent.close();

    const metrics = exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
    const names = new Set(metrics.map((m) => m.descriptor.name));
    for (const name of [
      'netdiag_ping_rtt_seconds',
      'netdiag_ping_sent_total',
      'netdiag_ping_received_total',
      'netdiag_ping_loss_ratio',
    ]) {
      assert.ok(names.has(name), `${name} exported`);
    }
    const rtt = metrics.find((m) => m.descriptor.name === 'netdiag_ping_rtt_seconds') as HistogramMetricData;
    const byTarget = new Map(rtt.dataPoints.map((p) => [p.attributes.target, p]));
    assert.deepEqual([...byTarget.keys()].sort(), ['lo4', 'lo6']);
    const lo4 = byTarget.get('lo4')!;
    assert.deepEqual(lo4.attributes, {
      app: 'host-service',
      target: 'lo4',
      address: '127.0.0.1',
      family: 'ipv4',
    });
    assert.ok(lo4.value.count >= 8, `${lo4.value.count} RTTs in 700 ms at 50 ms`);
    assert.ok((lo4.value.sum ?? Infinity) / lo4.value.count < 0.01, 'loopback RTT under 10 ms');
    await meterProvider.shutdown();
  });

  it('exports the RTTs as exponential histograms when netdiagViews selects them, every metric once', async () => {
    const config = parseConfig(
      `
targets:
  - name: lo4
    host: 127.0.0.1
    ping: { interval: 50ms, timeout: 50ms }
    trace: { protocol: icmp, interval: 100ms, timeout: 50ms, max_hops: 2 }
`,
      'inline.yaml',
    );
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({
      readers: [reader],
      views: netdiagViews(config.cardinalityLimit, { exponentialHistograms: { maxSize: 40 } }),
    });
    const agent = await startAgent({ config, meterProvider });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await reader.forceFlush();
    await agent.close();
    const metrics = exporter
      .getMetrics()
      .at(-1)!
      .scopeMetrics.flatMap((sm) => sm.metrics);
    const names = metrics.map((m) => m.descriptor.name);
    assert.equal(new Set(names).size, names.length, `each metric once: ${names.join(', ')}`);
    const rtt = metrics.find((m) => m.descriptor.name === 'netdiag_ping_rtt_seconds')!;
    assert.equal(rtt.dataPointType, DataPointType.EXPONENTIAL_HISTOGRAM);
    const point = (rtt as ExponentialHistogramMetricData).dataPoints[0]!;
    assert.ok(point.value.count >= 5, `${point.value.count} RTTs in 500 ms at 50 ms`);
    assert.ok(point.value.positive.bucketCounts.length <= 40);
    // Every RTT lies in (base^offset, base^(offset + buckets)]: the loopback's, under 10 ms.
    const base = 2 ** (2 ** -point.value.scale);
    const top = base ** (point.value.positive.offset + point.value.positive.bucketCounts.length);
    assert.ok(point.value.max! <= top && top < 0.01 * base, `max ${point.value.max} under ${top}`);
    // The trace's per-hop RTTs too: loopback is the destination at hop 1.
    const hopRtt = metrics.find((m) => m.descriptor.name === 'netdiag_trace_probe_rtt_seconds')!;
    assert.equal(hopRtt.dataPointType, DataPointType.EXPONENTIAL_HISTOGRAM);
    const hopPoints = (hopRtt as ExponentialHistogramMetricData).dataPoints;
    assert.deepEqual(
      hopPoints.map((p) => p.attributes.hop),
      ['1'],
    );
    assert.ok(hopPoints[0]!.value.count >= 2, `${hopPoints[0]!.value.count} hop RTTs in 500 ms at 100 ms`);
    await meterProvider.shutdown();
  });
});
