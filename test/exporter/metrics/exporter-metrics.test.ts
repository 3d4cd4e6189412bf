import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrometheusPipeline, ExporterMetrics } from '../../../exporter/metrics';
import { parseSamples, scrapeText, select } from '../../support/scrape';

const BUCKETS = [0.001, 0.01, 0.1];

const IDLE_SOCKET = { received: 0, matched: 0, foreign: 0, mismatched: 0, malformed: 0 };
const ONE_FOREIGN = { ...IDLE_SOCKET, received: 1, foreign: 1 };

function setup(cardinalityLimit = 10_000) {
  const pipeline = createPrometheusPipeline({ cardinalityLimit });
  let now = 0;
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
    histogramBuckets: BUCKETS,
    now: () => now,
    sockets: () => ({
      sockets: [
        {
          family: 4,
          stats: { received: 9, matched: 5, foreign: 2, mismatched: 1, malformed: 1 },
          pending: 3,
          timestamps: 'kernel',
          stampsMissed: { transmit: 4, receive: 1 },
        },
        // A second ICMP socket (another bind): its counts add up, the info series is written once.
        {
          family: 4,
          stats: ONE_FOREIGN,
          pending: 1,
          timestamps: 'kernel',
          stampsMissed: { transmit: 2, receive: 0 },
        },
        {
          family: 6,
          protocol: 'tcp',
          stats: IDLE_SOCKET,
          timestamps: 'user',
          stampsMissed: { transmit: 0, receive: 0 },
        },
      ],
      kernelDrops: [
        { family: 4, protocol: 'icmp', drops: 602 },
        { family: 6, protocol: 'tcp', drops: 0 },
      ],
    }),
  });
  return { pipeline, metrics, setNow: (t: number) => (now = t) };
}

describe('ExporterMetrics', () => {
  it('exports RTT histogram, counters, loss and jitter under their exact names and labels', async () => {
    const { pipeline, metrics, setNow } = setup();
    const labels = { site: 'ams', target: 'gw', address: '10.0.0.1', family: 'ipv4' };
    const series = metrics.pingSeries(labels, 60);
    const results = [0.002, null, 0.004, 0.003];
    results.forEach((rtt, seq) => {
      setNow(seq * 1000);
      series.record(rtt === null ? { seq, rtt, failure: { reason: 'timeout' } } : { seq, rtt });
    });
    const samples = parseSamples(await scrapeText(pipeline));
    assert.equal(select(samples, 'netdiag_ping_sent_total', labels)[0]?.value, 4);
    assert.equal(select(samples, 'netdiag_ping_received_total', labels)[0]?.value, 3);
    assert.equal(select(samples, 'netdiag_ping_rtt_seconds_count', labels)[0]?.value, 3);
    assert.ok(Math.abs(select(samples, 'netdiag_ping_rtt_seconds_sum', labels)[0]!.value - 0.009) < 1e-12);
    assert.deepEqual(
      select(samples, 'netdiag_ping_rtt_seconds_bucket', labels).map((s) => [s.labels.le, s.value]),
      [
        ['0.001', 0],
        ['0.01', 3],
        ['0.1', 3],
        ['+Inf', 3],
      ],
    );
    assert.equal(select(samples, 'netdiag_ping_loss_ratio', labels)[0]?.value, 0.25);
    // |4-2| + |3-4| over 2 pairs = 1.5 ms (the window holds RTTs as float32)
    assert.ok(Math.abs(select(samples, 'netdiag_ping_jitter_seconds', labels)[0]!.value - 0.0015) < 1e-9);
    assert.equal(
      select(samples, 'netdiag_probe_errors_total', { target: 'gw', probe: 'ping', reason: 'timeout' })[0]
        ?.value,
      1,
    );
    assert.equal(
      select(samples, 'netdiag_socket_pending_probes', { family: 'ipv4', protocol: 'icmp' })[0]?.value,
      4,
    );
    assert.equal(
      select(samples, 'netdiag_socket_packets_total', {
        family: 'ipv4',
        protocol: 'icmp',
        outcome: 'malformed',
      })[0]?.value,
      1,
    );
    metrics.close();
    await pipeline.shutdown();
  });

  it('removes the window gauges of a removed series', async () => {
    const { pipeline, metrics } = setup();
    const series = metrics.pingSeries({ target: 'gone', address: '10.0.0.9', family: 'ipv4' }, 60);
    series.record({ seq: 0, rtt: 0.001 });
    series.remove();
    const samples = parseSamples(await scrapeText(pipeline));
    assert.equal(select(samples, 'netdiag_ping_loss_ratio', { target: 'gone' }).length, 0);
    metrics.close();
    await pipeline.shutdown();
  });

  it('keeps every series distinct past the SDK default of 2000 attribute sets', async () => {
    const { pipeline, metrics } = setup(5000);
    for (let i = 0; i < 3000; i++) {
      metrics
        .pingSeries({ target: `t${i}`, address: `10.0.${i >> 8}.${i & 255}`, family: 'ipv4' }, 60)
        .record({ seq: 0, rtt: 0.001 });
    }
    const samples = parseSamples(await scrapeText(pipeline));
    const sent = select(samples, 'netdiag_ping_sent_total');
    assert.equal(sent.length, 3000);
    assert.ok(
      sent.every((s) => s.labels.target !== undefined && s.labels['otel_metric_overflow'] === undefined),
    );
    metrics.close();
    await pipeline.shutdown();
  });

  it('reports config reload state, target counts and the event loop delay', async () => {
    const { pipeline, metrics } = setup();
    metrics.configLoaded(true, 1700000000);
    metrics.setTargets('ping', 7);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const samples = parseSamples(await scrapeText(pipeline));
    assert.equal(select(samples, 'netdiag_config_last_reload_successful')[0]?.value, 1);
    assert.equal(
      select(samples, 'netdiag_config_last_reload_success_timestamp_seconds')[0]?.value,
      1700000000,
    );
    assert.equal(select(samples, 'netdiag_targets', { probe: 'ping' })[0]?.value, 7);
    const p99 = select(samples, 'netdiag_event_loop_delay_seconds', { stat: 'p99' })[0];
    assert.ok(p99 && p99.value > 0 && p99.value < 1, `event loop p99 ${p99?.value}`);
    metrics.close();
    await pipeline.shutdown();
  });

  it('says where each socket kind takes its times from, once per family, protocol and source', async () => {
    const { pipeline, metrics } = setup();
    const samples = parseSamples(await scrapeText(pipeline));
    assert.equal(
      select(samples, 'netdiag_socket_packets_total', {
        family: 'ipv4',
        protocol: 'icmp',
        outcome: 'foreign',
      })[0]?.value,
      3,
      'the foreign packets of both ICMP sockets',
    );
    assert.deepEqual(
      select(samples, 'netdiag_socket_timestamps_info').map((s) => [s.labels, s.value]),
      [
        [{ family: 'ipv4', protocol: 'icmp', source: 'kernel' }, 1],
        [{ family: 'ipv6', protocol: 'tcp', source: 'user' }, 1],
      ],
    );
    // Summed over the kind's sockets; none for a kind timed by the clock anyway (it would always read 0).
    assert.deepEqual(
      select(samples, 'netdiag_socket_timestamps_missed_total').map((s) => [s.labels, s.value]),
      [
        [{ family: 'ipv4', protocol: 'icmp', direction: 'transmit' }, 6],
        [{ family: 'ipv4', protocol: 'icmp', direction: 'receive' }, 1],
      ],
    );
    metrics.close();
    await pipeline.shutdown();
  });

  it('exports the kernel drops of the raw sockets per family and protocol', async () => {
    const { pipeline, metrics } = setup();
    const samples = parseSamples(await scrapeText(pipeline));
    assert.deepEqual(
      select(samples, 'netdiag_socket_kernel_drops_total').map((s) => [s.labels, s.value]),
      [
        [{ family: 'ipv4', protocol: 'icmp' }, 602],
        [{ family: 'ipv6', protocol: 'tcp' }, 0],
      ],
    );
    metrics.close();
    await pipeline.shutdown();
  });

  it('counts skipped ticks and late replies per probe, from 0 for each probe that has targets', async () => {
    const { pipeline, metrics } = setup();
    metrics.setTargets('ping', 2);
    metrics.setTargets('knock', 1);
    metrics.setTargets('trace', 0);
    const before = parseSamples(await scrapeText(pipeline));
    for (const name of ['netdiag_probe_ticks_skipped_total', 'netdiag_probe_late_replies_total']) {
      assert.deepEqual(
        select(before, name).map((s) => [s.labels.probe, s.value]),
        [
          ['ping', 0],
          ['knock', 0],
        ],
        name,
      );
    }
    const labels = { target: 'gw', address: '10.0.0.1', family: 'ipv4' };
    const series = metrics.pingSeries(labels, 60);
    series.record({ seq: 0, rtt: null, failure: { reason: 'timeout', lateRtt: 10.17 } });
    series.record({ seq: 1, rtt: null, failure: { reason: 'timeout' } });
    metrics.knock.series({ ...labels, port: '22' }, 60).record({
      rtt: null,
      failure: { reason: 'timeout', lateRtt: 5.2 },
    });
    metrics.ticksSkipped('ping', 49);
    metrics.ticksSkipped('ping', 1);
    metrics.lateReplies('trace', 3);
    const after = parseSamples(await scrapeText(pipeline));
    const count = (name: string, probe: string): number | undefined =>
      select(after, name, { probe })[0]?.value;
    assert.equal(count('netdiag_probe_ticks_skipped_total', 'ping'), 50);
    assert.equal(count('netdiag_probe_late_replies_total', 'ping'), 1);
    assert.equal(count('netdiag_probe_late_replies_total', 'knock'), 1);
    assert.equal(count('netdiag_probe_late_replies_total', 'trace'), 3);
    // A late reply is a loss: no RTT observed, counted with the timeouts.
    assert.equal(select(after, 'netdiag_ping_rtt_seconds_count', labels)[0]?.value ?? 0, 0);
    assert.equal(select(after, 'netdiag_ping_received_total', labels)[0]?.value, 0);
    assert.equal(
      select(after, 'netdiag_probe_errors_total', { target: 'gw', probe: 'ping', reason: 'timeout' })[0]
        ?.value,
      2,
    );
    metrics.close();
    await pipeline.shutdown();
  });

  it('derives netdiag_target_up from every probe window of the target, and 0 when it resolves to nothing', async () => {
    // The exporter's own store: series of the SDK's observable instruments outlive their target.
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: BUCKETS,
      store: pipeline.store,
    });
    const up = async (): Promise<Record<string, number>> =>
      Object.fromEntries(
        select(parseSamples(await scrapeText(pipeline)), 'netdiag_target_up').map((s) => [
          s.labels.target,
          s.value,
        ]),
      );
    const round = { hops: [], paths: 1, pathChanged: false, duration: 0.1, probes: 0 };
    for (const target of ['traced', 'lost', 'knocked', 'fresh']) metrics.setAddresses(target, { target }, 1);
    const attributes = (target: string) => ({ target, address: '10.0.0.1', family: 'ipv4' });
    metrics.trace.series({ ...attributes('traced'), protocol: 'udp' }, 8).record({ ...round, reached: true });
    metrics
      .pingSeries(attributes('traced'), 60)
      .record({ seq: 0, rtt: null, failure: { reason: 'timeout' } });
    metrics.trace.series({ ...attributes('lost'), protocol: 'udp' }, 8).record({ ...round, reached: false });
    metrics.pingSeries(attributes('lost'), 60).record({ seq: 0, rtt: null, failure: { reason: 'timeout' } });
    const knock = metrics.knock.series({ ...attributes('knocked'), port: '22' }, 60);
    knock.record({ rtt: null, failure: { reason: 'timeout' } });
    knock.record({ rtt: 0.001, state: 'closed' });
    metrics.pingSeries(attributes('fresh'), 60);
    // A trace that reached, an RST: answers. Every window lost: down. No result yet: no verdict.
    assert.deepEqual(await up(), { traced: 1, lost: 0, knocked: 1 });
    metrics.setAddresses('knocked', { target: 'knocked' }, 0);
    assert.deepEqual(
      await up(),
      { traced: 1, lost: 0, knocked: 0 },
      'resolving to nothing is down, whatever the window holds',
    );
    metrics.forgetTarget('lost');
    assert.deepEqual(await up(), { traced: 1, knocked: 0 });
    metrics.close();
    await pipeline.shutdown();
  });

  it('counts a ping window towards its target’s up after the target is relabelled, or forgotten and set again', async () => {
    // A ping series keeps its target's up state from one collection to the next (TargetUp.state):
    // a state replaced or dropped must not take the window's verdict.
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: BUCKETS,
      store: pipeline.store,
    });
    const up = async (): Promise<Array<[Record<string, string>, number]>> =>
      select(parseSamples(await scrapeText(pipeline)), 'netdiag_target_up').map((s) => [s.labels, s.value]);
    metrics.setAddresses('gw', { target: 'gw' }, 1);
    metrics
      .pingSeries({ target: 'gw', address: '10.0.0.1', family: 'ipv4' }, 60)
      .record({ seq: 0, rtt: 0.001 });
    assert.deepEqual(await up(), [[{ target: 'gw' }, 1]]);
    metrics.setAddresses('gw', { target: 'gw', site: 'ams' }, 1);
    assert.deepEqual(await up(), [[{ target: 'gw', site: 'ams' }, 1]], 'relabelled');
    metrics.forgetTarget('gw');
    assert.deepEqual(await up(), [], 'forgotten');
    metrics.setAddresses('gw', { target: 'gw' }, 1);
    assert.deepEqual(await up(), [[{ target: 'gw' }, 1]], 'set again');
    metrics.close();
    await pipeline.shutdown();
  });
});
