import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
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
});
