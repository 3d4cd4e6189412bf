import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Attributes } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import {
  createPrometheusPipeline,
  createScrapeHandler,
  ExporterMetrics,
  nativeHistogramOptions,
} from '../../../exporter/metrics';
import { LabelEncodings } from '../../../exporter/metrics/label-encodings';
import { decodeMetricFamilies, labelsOf } from '../../support/client-model';
import { parseSamples } from '../../support/scrape';

const ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

/** An encoder that counts its calls. */
function counting(): { encodings: LabelEncodings<string>; calls: () => number } {
  let calls = 0;
  const encodings = new LabelEncodings((attributes: Attributes) => {
    calls++;
    return Object.values(attributes).join(',');
  });
  return { encodings, calls: () => calls };
}

describe('LabelEncodings', () => {
  it('encodes a label set once, whether found at its position or, after a shift, by the set', () => {
    const { encodings, calls } = counting();
    const family = {};
    const sets = ['a', 'b', 'c', 'd'].map((target) => ({ target }));
    assert.deepEqual(encodings.column(family, sets), ['a', 'b', 'c', 'd']);
    assert.equal(calls(), 4);
    assert.deepEqual(encodings.column(family, sets), ['a', 'b', 'c', 'd']);
    assert.equal(calls(), 4, 'the same series in the same order: nothing encoded again');
    // b removed: c and d shift by one and are found by their set.
    const shifted = [sets[0]!, sets[2]!, sets[3]!];
    assert.deepEqual(encodings.column(family, shifted), ['a', 'c', 'd']);
    assert.equal(calls(), 4);
    // A new series at the end, and one relabelled (a new object for target c).
    const relabelled = { target: 'c2' };
    assert.deepEqual(encodings.column(family, [sets[0]!, relabelled, sets[3]!, { target: 'e' }]), [
      'a',
      'c2',
      'd',
      'e',
    ]);
    assert.equal(calls(), 6, 'only the relabelled and the new series are encoded');
  });

  it('keeps families apart: the same position in another family is not a hit', () => {
    const { encodings, calls } = counting();
    const x = { target: 'x' };
    const y = { target: 'y' };
    encodings.column({}, [x]);
    assert.deepEqual(encodings.column({}, [y]), ['y']);
    assert.equal(calls(), 2);
  });
});

/** Captures a scrape's bytes. */
class Capture extends EventEmitter {
  destroyed = false;
  headersSent = false;
  writableFinished = false;
  private readonly chunks: Buffer[] = [];
  private done: (() => void) | undefined;
  readonly ended = new Promise<void>((resolve) => (this.done = resolve));
  writeHead(): this {
    this.headersSent = true;
    return this;
  }
  write(chunk: Buffer, sent?: () => void): boolean {
    this.chunks.push(Buffer.from(chunk));
    if (sent) setImmediate(sent);
    return true;
  }
  end(): void {
    this.writableFinished = true;
    this.done?.();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

describe('the label caches of both expositions', () => {
  it('drop a removed target and show a relabelled one from the next scrape on, in the text and the protobuf', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 1000 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: [0.001, 0.01],
      store: pipeline.store,
      nativeHistograms: nativeHistogramOptions({
        enabled: true,
        bucketFactor: 1.1,
        maxBucketCount: 160,
        classicBucketsInProtobuf: false,
      }),
    });
    const handler = createScrapeHandler(pipeline, { pointsPerChunk: 3 });
    const scrape = async (accept?: string): Promise<Buffer> => {
      const response = new Capture();
      handler(
        { headers: accept === undefined ? {} : { accept }, socket: undefined } as never,
        response as unknown as ServerResponse,
      );
      await response.ended;
      return response.bytes;
    };
    /** (metric, target, site) of every series of the answer in each format. */
    const seriesOf = async (): Promise<{ text: string[]; protobuf: string[] }> => {
      const text = parseSamples((await scrape()).toString())
        .filter((s) => s.labels.target !== undefined && !s.name.endsWith('_bucket'))
        .map((s) => `${s.name.replace(/_(count|sum)$/, '')} ${s.labels.target} ${s.labels.site ?? ''}`);
      const protobuf = decodeMetricFamilies(await scrape(ACCEPT_PROTOBUF)).flatMap((family) =>
        (family.metric ?? [])
          .map(labelsOf)
          .filter((labels) => labels.target !== undefined)
          .map((labels) => `${family.name} ${labels.target} ${labels.site ?? ''}`),
      );
      return { text: [...new Set(text)].sort(), protobuf: [...new Set(protobuf)].sort() };
    };
    const start = (target: string, site: string) => {
      metrics.probing(target, 'ping');
      metrics.setAddresses(target, { target, site }, 1);
      const series = metrics.pingSeries({ target, address: '10.0.0.1', family: 'ipv4', site }, 60);
      series.record({ seq: 0, rtt: 0.002 });
      return series;
    };
    try {
      const a = start('a', 'ams');
      const b = start('b', 'ams');
      start('c', 'ams');
      const before = await seriesOf();
      assert.deepEqual(before.protobuf, before.text);
      assert.ok(before.text.includes('netdiag_ping_rtt_seconds b ams'));
      assert.ok(before.text.includes('netdiag_probe_errors_total b '));

      // b removed (a reload without it); a relabelled: a reload ends its series and starts new ones.
      b.remove();
      metrics.forgetTarget('b');
      a.remove();
      metrics.forgetTarget('a');
      start('a', 'fra');
      const after = await seriesOf();
      assert.deepEqual(after.protobuf, after.text);
      assert.equal(
        after.text.filter((s) => s.includes(' b ')).length,
        0,
        `no series of b: ${after.text.join('; ')}`,
      );
      assert.ok(after.text.includes('netdiag_ping_rtt_seconds a fra'));
      assert.ok(after.text.includes('netdiag_target_up a fra'));
      assert.ok(!after.text.some((s) => s.endsWith(' a ams')), 'nothing left of a with its old label');
      assert.ok(after.text.includes('netdiag_ping_rtt_seconds c ams'), 'c, shifted, keeps its labels');
    } finally {
      handler.close();
      metrics.close();
      await pipeline.shutdown();
    }
  });
});
