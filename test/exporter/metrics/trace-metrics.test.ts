import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrometheusPipeline, ExporterMetrics, type TraceRound } from '../../../exporter/metrics';
import { parseSamples, scrapeText, select, type Sample } from '../../support/scrape';

function setup() {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), { histogramBuckets: [0.01] });
  return { pipeline, metrics };
}

const labels = { target: 'dst', address: '10.0.9.2', family: 'ipv4', protocol: 'udp' };

const split: TraceRound = {
  hops: [
    {
      ttl: 1,
      sent: 8,
      received: 8,
      forwardLoss: 0,
      forwardLossProbes: 8,
      responders: [{ address: '10.0.1.2', rtts: [0.001, 0.003] }],
    },
    {
      ttl: 2,
      sent: 8,
      received: 6,
      forwardLoss: 0.125,
      forwardLossProbes: 8,
      responders: [
        { address: '10.0.2.2', rtts: [0.01, 0.012] },
        { address: '10.0.3.2', rtts: [0.011] },
      ],
    },
    { ttl: 3, sent: 8, received: 0, forwardLoss: NaN, forwardLossProbes: 0, responders: [] },
    {
      ttl: 4,
      sent: 8,
      received: 8,
      forwardLoss: 0,
      forwardLossProbes: 8,
      responders: [{ address: '10.0.9.2', rtts: [0.02] }],
    },
  ],
  reached: true,
  hopsToDestination: 4,
  paths: 2,
  pathChanged: false,
  duration: 0.5,
  probes: 36,
};

describe('TraceMetrics', () => {
  it("keeps a hop's loss through a round that sent it no probe (held back by the budget); a hop that left the path forgets it", async () => {
    const held = split.hops.map((hop) =>
      hop.ttl === 2 ? { ...hop, sent: 0, received: 0, responders: [] } : hop,
    );
    const lossAfter = async (rounds: TraceRound[]) => {
      const { pipeline, metrics } = setup();
      const series = metrics.trace.series(labels, 64);
      for (const round of rounds) series.record(round);
      const samples = parseSamples(await scrapeText(pipeline));
      await pipeline.shutdown();
      const at = (name: string) => select(samples, name, { ...labels, hop: '2' })[0]?.value;
      return [at('netdiag_trace_hop_loss_ratio'), at('netdiag_trace_hop_forward_loss_ratio')];
    };
    assert.deepEqual(await lossAfter([split, { ...split, hops: held }]), [0.25, 0.125]);
    const left = { ...split, hops: split.hops.filter((hop) => hop.ttl !== 2) };
    assert.deepEqual(await lossAfter([split, left, { ...split, hops: held }]), [undefined, undefined]);
  });

  it('gives every hop up to the known path length its series before any probe of it was sent: hop loss NaN, forwarding loss from the window', async () => {
    // Hop 1 starved by the budget since the first round (another target took its router's tokens).
    const starved = split.hops.map((hop) =>
      hop.ttl === 1 ? { ...hop, sent: 0, received: 0, forwardLoss: 0.01, responders: [] } : hop,
    );
    const beyond = { ttl: 5, sent: 0, received: 0, forwardLoss: NaN, forwardLossProbes: 0, responders: [] };
    const scrapeAfter = async (round: TraceRound) => {
      const { pipeline, metrics } = setup();
      metrics.trace.series(labels, 64).record(round);
      const samples = parseSamples(await scrapeText(pipeline));
      await pipeline.shutdown();
      return (name: string, hop: string) => select(samples, name, { ...labels, hop }).map((s) => s.value);
    };
    const known = await scrapeAfter({ ...split, hops: [...starved, beyond], pathLength: 4 });
    assert.deepEqual(known('netdiag_trace_hop_loss_ratio', '1'), [NaN]);
    assert.deepEqual(known('netdiag_trace_hop_forward_loss_ratio', '1'), [0.01]);
    assert.deepEqual(known('netdiag_trace_hop_loss_ratio', '2'), [0.25]);
    assert.deepEqual(
      known('netdiag_trace_hop_loss_ratio', '5'),
      [],
      'past the path: no series without a figure',
    );
    // Without a known path length (no round reached the destination yet), an unprobed hop has none.
    const unknown = await scrapeAfter({ ...split, hops: starved, reached: false });
    assert.deepEqual(unknown('netdiag_trace_hop_loss_ratio', '1'), []);
    assert.deepEqual(unknown('netdiag_trace_hop_forward_loss_ratio', '1'), []);
  });

  it('exports per-hop RTT by responder, per-hop loss and the round summary', async () => {
    const { pipeline, metrics } = setup();
    metrics.trace.series(labels, 64).record(split);
    const samples = parseSamples(await scrapeText(pipeline));
    const rtt = (hop: string, hop_address: string) =>
      select(samples, 'netdiag_trace_hop_rtt_seconds', { ...labels, hop, hop_address })[0]?.value;
    assert.equal(rtt('1', '10.0.1.2'), 0.002);
    assert.equal(rtt('2', '10.0.2.2'), 0.011);
    assert.equal(rtt('2', '10.0.3.2'), 0.011);
    assert.equal(select(samples, 'netdiag_trace_hop_rtt_seconds', { ...labels, hop: '3' }).length, 0);
    const loss = (hop: string) =>
      select(samples, 'netdiag_trace_hop_loss_ratio', { ...labels, hop })[0]?.value;
    assert.deepEqual([loss('1'), loss('2'), loss('3'), loss('4')], [0, 0.25, 1, 0]);
    const forward = (hop: string) =>
      select(samples, 'netdiag_trace_hop_forward_loss_ratio', { ...labels, hop })[0]?.value;
    assert.deepEqual([forward('1'), forward('2'), forward('3'), forward('4')], [0, 0.125, NaN, 0]);
    const counted = (hop: string) =>
      select(samples, 'netdiag_trace_hop_forward_loss_window_probes', { ...labels, hop })[0]?.value;
    assert.deepEqual([counted('1'), counted('2'), counted('3'), counted('4')], [8, 8, 0, 8]);
    assert.equal(select(samples, 'netdiag_trace_hops', labels)[0]?.value, 4);
    assert.equal(select(samples, 'netdiag_trace_reached', labels)[0]?.value, 1);
    assert.equal(select(samples, 'netdiag_trace_paths', labels)[0]?.value, 2);
    assert.equal(select(samples, 'netdiag_trace_duration_seconds', labels)[0]?.value, 0.5);
    assert.equal(select(samples, 'netdiag_trace_path_changes_total', labels)[0]?.value, 0);
    await pipeline.shutdown();
  });

  it('counts a path change when the set of paths differs from the previous round, and drops stale hops', async () => {
    const { pipeline, metrics } = setup();
    const series = metrics.trace.series(labels, 64);
    series.record(split);
    series.record(split);
    const moved: TraceRound = {
      duration: split.duration,
      hops: [
        split.hops[0]!,
        {
          ttl: 2,
          sent: 8,
          received: 8,
          forwardLoss: 0,
          forwardLossProbes: 8,
          responders: [{ address: '10.0.2.2', rtts: [0.01] }],
        },
      ],
      reached: false,
      paths: 1,
      pathChanged: true,
      probes: 12,
    };
    series.record(moved);
    const samples = parseSamples(await scrapeText(pipeline));
    assert.equal(select(samples, 'netdiag_trace_path_changes_total', labels)[0]?.value, 1);
    assert.equal(select(samples, 'netdiag_trace_rounds_total', labels)[0]?.value, 3);
    assert.equal(select(samples, 'netdiag_trace_probes_total', labels)[0]?.value, 36 + 36 + 12);
    assert.equal(
      select(samples, 'netdiag_trace_hop_rtt_seconds', { ...labels, hop_address: '10.0.3.2' }).length,
      0,
    );
    assert.equal(select(samples, 'netdiag_trace_hop_loss_ratio', { ...labels, hop: '4' }).length, 0);
    assert.equal(select(samples, 'netdiag_trace_hop_forward_loss_ratio', { ...labels, hop: '4' }).length, 0);
    assert.equal(select(samples, 'netdiag_trace_reached', labels)[0]?.value, 0);
    assert.equal(select(samples, 'netdiag_trace_hops', labels)[0]?.value, 2, 'last hop that answered');
    await pipeline.shutdown();
  });

  it('caps the distinct hop addresses of a series and counts the rounds that hit the cap', async () => {
    const { pipeline, metrics } = setup();
    metrics.trace.series(labels, 2).record(split);
    const samples = parseSamples(await scrapeText(pipeline));
    const addresses = select(samples, 'netdiag_trace_hop_rtt_seconds', labels).map(
      (s) => s.labels.hop_address,
    );
    assert.deepEqual(addresses.sort(), ['10.0.1.2', '10.0.2.2']);
    assert.equal(
      select(samples, 'netdiag_probe_errors_total', {
        target: 'dst',
        probe: 'trace',
        reason: 'hop_address_limit',
      })[0]?.value,
      1,
    );
    await pipeline.shutdown();
  });

  it("accumulates every answered probe's RTT per hop, native buckets only, until a round shows the hop off the path", async () => {
    // In the exporter's own store, which can drop a series (an SDK instrument cannot).
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: [0.01],
      store: pipeline.store,
    });
    const series = metrics.trace.series(labels, 64);
    const scrape = async () => parseSamples(await scrapeText(pipeline));
    const count = (samples: Sample[], hop: string) =>
      select(samples, 'netdiag_trace_probe_rtt_seconds_count', { ...labels, hop })[0]?.value;
    const sum = (samples: Sample[], hop: string) =>
      select(samples, 'netdiag_trace_probe_rtt_seconds_sum', { ...labels, hop })[0]?.value;
    series.record(split);
    series.record(split);
    let samples = await scrape();
    // Hop 2's two responders together; hop 3 answered nothing and has no series.
    assert.deepEqual(
      ['1', '2', '3', '4'].map((hop) => count(samples, hop)),
      [4, 6, undefined, 2],
    );
    assert.ok(Math.abs(sum(samples, '2')! - 2 * (0.01 + 0.012 + 0.011)) < 1e-12);
    // No classic bucket but +Inf: the exporter's `histogram_buckets` ([0.01]) are not applied.
    assert.deepEqual(
      select(samples, 'netdiag_trace_probe_rtt_seconds_bucket', { ...labels, hop: '1' }).map(
        (s) => s.labels.le,
      ),
      ['+Inf'],
    );
    // A round that failed (no hops) says nothing of the path: the histograms stay.
    series.record({ hops: [], reached: false, paths: 2, pathChanged: false, duration: 0.1, probes: 0 });
    samples = await scrape();
    assert.deepEqual(
      ['1', '2', '4'].map((hop) => count(samples, hop)),
      [4, 6, 2],
    );
    // The path got shorter: the destination answers at hop 2, and hop 4's histogram goes.
    const shorter: TraceRound = {
      ...split,
      hops: [split.hops[0]!, { ...split.hops[1]!, responders: [{ address: '10.0.9.2', rtts: [0.02] }] }],
      hopsToDestination: 2,
      pathLength: 2,
    };
    series.record(shorter);
    samples = await scrape();
    assert.deepEqual(
      ['1', '2', '4'].map((hop) => count(samples, hop)),
      [6, 7, undefined],
    );
    series.remove();
    samples = await scrape();
    assert.equal(select(samples, 'netdiag_trace_probe_rtt_seconds_count', labels).length, 0);
    metrics.close();
    await pipeline.shutdown();
  });
});
