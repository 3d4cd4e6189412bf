import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrometheusPipeline, ExporterMetrics } from '../../../exporter/metrics';
import { parseSamples, scrapeText, select } from '../../support/scrape';

function setup() {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
  let now = 0;
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
    histogramBuckets: [0.001, 0.01, 0.1],
    now: () => now,
  });
  return { pipeline, metrics, setNow: (t: number) => (now = t) };
}

describe('KnockMetrics', () => {
  const labels = { target: 'web', address: '10.0.0.1', family: 'ipv4', port: '443', site: 'ams' };

  it('exports RTT, sent, received, loss over the window and the port state under their exact names', async () => {
    const { pipeline, metrics, setNow } = setup();
    const series = metrics.knock.series(labels, 60);
    const outcomes = [
      { rtt: 0.002, state: 'open' as const },
      { rtt: null, failure: { reason: 'timeout' } },
      { rtt: 0.004, state: 'open' as const },
      { rtt: 0.02, state: 'closed' as const },
    ];
    outcomes.forEach((outcome, i) => {
      setNow(i * 1000);
      series.record(outcome);
    });
    const samples = parseSamples(await scrapeText(pipeline));
    assert.equal(select(samples, 'netdiag_knock_sent_total', labels)[0]?.value, 4);
    assert.equal(select(samples, 'netdiag_knock_received_total', labels)[0]?.value, 3);
    assert.equal(select(samples, 'netdiag_knock_rtt_seconds_count', labels)[0]?.value, 3);
    assert.ok(Math.abs(select(samples, 'netdiag_knock_rtt_seconds_sum', labels)[0]!.value - 0.026) < 1e-12);
    assert.equal(select(samples, 'netdiag_knock_loss_ratio', labels)[0]?.value, 0.25);
    assert.equal(select(samples, 'netdiag_knock_port_open', labels)[0]?.value, 0, 'last answer was an RST');
    assert.equal(
      select(samples, 'netdiag_probe_errors_total', { target: 'web', probe: 'knock', reason: 'timeout' })[0]
        ?.value,
      1,
    );
    await pipeline.shutdown();
  });

  it('keeps the last known port state through losses and reports none before the first answer', async () => {
    const { pipeline, metrics } = setup();
    const series = metrics.knock.series(labels, 60);
    series.record({ rtt: null });
    let samples = parseSamples(await scrapeText(pipeline));
    assert.equal(select(samples, 'netdiag_knock_port_open', labels).length, 0);
    series.record({ rtt: 0.001, state: 'open' });
    series.record({ rtt: null });
    samples = parseSamples(await scrapeText(pipeline));
    assert.equal(select(samples, 'netdiag_knock_port_open', labels)[0]?.value, 1);
    await pipeline.shutdown();
  });

  it('removes the observable series of a removed port', async () => {
    const { pipeline, metrics } = setup();
    const series = metrics.knock.series(labels, 60);
    series.record({ rtt: 0.001, state: 'open' });
    series.remove();
    const samples = parseSamples(await scrapeText(pipeline));
    for (const name of ['netdiag_knock_sent_total', 'netdiag_knock_loss_ratio', 'netdiag_knock_port_open']) {
      assert.equal(select(samples, name, labels).length, 0, name);
    }
    await pipeline.shutdown();
  });
});
