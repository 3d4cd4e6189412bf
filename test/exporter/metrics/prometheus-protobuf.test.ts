import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  createPrometheusPipeline,
  createScrapeHandler,
  ExporterMetrics,
  nativeHistogramOptions,
  type NativeHistogramSettings,
} from '../../../exporter/metrics';
import { bucketKey } from '../../../exporter/metrics/native-schema';
import { CONTENT_TYPE } from '../../../exporter/metrics/scrape-format';
import { silentLogger } from '../../../exporter/logging';
import { ExporterServer } from '../../../exporter/server';
import * as protobuf from 'protobufjs';
import { CLIENT_MODEL_FIELDS, METRIC_TYPE } from '../../../exporter/metrics/client-model-fields';
import {
  clientModelType,
  decodeMetricFamilies,
  labelsOf,
  METRIC_TYPES,
  nativeBuckets,
  SchemaViolation,
  type DecodedFamily,
} from '../../support/client-model';
import { parseSamples } from '../../support/scrape';

const ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3';

const SETTINGS: NativeHistogramSettings = {
  enabled: true,
  bucketFactor: 1.1,
  maxBucketCount: 160,
  classicBucketsInProtobuf: true,
};

/** RTTs per target: a spread over several buckets, one exactly on a native boundary (2^-7). */
const RTTS: Record<string, number[]> = {
  a: [0.0012, 0.0013, 0.0012, 0.0021, 0.0078125],
  b: [0.25, 0.26],
  c: [],
};

/** A pipeline with ping series of RTTS, served by a scrape handler; `run` gets the server's URL. */
async function withExporter(
  settings: NativeHistogramSettings,
  run: (
    url: string,
    handler: ReturnType<typeof createScrapeHandler>,
    metrics: ExporterMetrics,
  ) => Promise<void>,
  pointsPerChunk = 2,
): Promise<void> {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
    histogramBuckets: [0.001, 0.01, 0.1],
    store: pipeline.store,
    nativeHistograms: nativeHistogramOptions(settings),
  });
  for (const [target, rtts] of Object.entries(RTTS)) {
    const series = metrics.pingSeries(
      { target, address: `10.0.0.${target.charCodeAt(0)}`, family: 'ipv4' },
      60,
    );
    rtts.forEach((rtt, seq) => series.record({ seq, rtt }));
    series.record({ seq: rtts.length, rtt: null, failure: { reason: 'timeout' } });
  }
  // An SDK instrument besides the store: the protobuf answer carries both, as the text does.
  const meter = pipeline.meterProvider.getMeter('test');
  meter
    .createCounter('sdk_events', { description: 'Events "counted"\nby the SDK.' })
    .add(3, { kind: 'x\\y' });
  meter.createHistogram('sdk_latency_seconds', { advice: { explicitBucketBoundaries: [1, 2] } }).record(1.5);
  const handler = createScrapeHandler(pipeline, { pointsPerChunk });
  const server = await ExporterServer.listen({
    listen: { host: '127.0.0.1', port: 0 },
    logger: silentLogger,
    metrics: handler,
  });
  try {
    await run(server.url, handler, metrics);
  } finally {
    await server.close();
    metrics.close();
    await pipeline.shutdown();
  }
}

async function scrapeBoth(
  url: string,
): Promise<{ text: string; families: DecodedFamily[]; contentType: string }> {
  const [textResponse, protoResponse] = await Promise.all([
    fetch(`${url}/metrics`),
    fetch(`${url}/metrics`, { headers: { accept: ACCEPT_PROTOBUF } }),
  ]);
  const text = await textResponse.text();
  const families = decodeMetricFamilies(new Uint8Array(await protoResponse.arrayBuffer()));
  return { text, families, contentType: protoResponse.headers.get('content-type') ?? '' };
}

const key = (name: string, labels: Record<string, string>): string => `${name}${JSON.stringify(labels)}`;

/** Series that change between two scrapes: the event loop's, and the scrapes' own counts. */
const changing = (name: string): boolean =>
  name.startsWith('netdiag_event_loop') || name.startsWith('netdiag_scrape');

/**
 * Asserts that the protobuf families carry the text's samples, the changing ones aside: every gauge
 * and counter, and every histogram's count, sum and classic buckets. Returns the protobuf's.
 */
function assertSameSamples(text: string, families: DecodedFamily[]): Map<string, number> {
  // Every gauge and counter sample, and every histogram's count, sum and classic buckets.
  const fromText = new Map<string, number>();
  for (const s of parseSamples(text)) if (!changing(s.name)) fromText.set(key(s.name, s.labels), s.value);
  const fromProto = new Map<string, number>();
  for (const family of families) {
    if (changing(family.name!)) continue;
    for (const metric of family.metric ?? []) {
      const labels = labelsOf(metric);
      const value = metric.gauge?.value ?? metric.counter?.value;
      if (value !== undefined) fromProto.set(key(family.name!, labels), value);
      const histogram = metric.histogram;
      if (!histogram) continue;
      fromProto.set(key(`${family.name}_count`, labels), histogram.sampleCount ?? 0);
      fromProto.set(key(`${family.name}_sum`, labels), histogram.sampleSum ?? 0);
      for (const bucket of histogram.bucket ?? []) {
        fromProto.set(
          key(`${family.name}_bucket`, { ...labels, le: String(bucket.upperBound) }),
          bucket.cumulativeCount ?? 0,
        );
      }
      // The +Inf bucket is implicit in protobuf (client_golang leaves it out too): the count.
      fromProto.set(key(`${family.name}_bucket`, { ...labels, le: '+Inf' }), histogram.sampleCount ?? 0);
    }
  }
  assert.deepEqual(fromProto, fromText);
  return fromProto;
}

describe('the protobuf exposition', () => {
  it('decodes against client_model’s schema to the same families, label sets and values as the text', async () => {
    await withExporter(SETTINGS, async (url) => {
      const { text, families, contentType } = await scrapeBoth(url);
      assert.equal(
        contentType,
        'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
      );
      const textTypes = new Map(
        [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)]
          .filter((m) => !changing(m[1]!))
          .map((m) => [m[1]!, m[2]!]),
      );
      const protoTypes = new Map(
        families
          .filter((f) => !changing(f.name!))
          .map((f) => [f.name!, METRIC_TYPES[f.type ?? 0]!.toLowerCase()]),
      );
      assert.deepEqual(protoTypes, textTypes);
      assert.equal(new Set(families.map((f) => f.name)).size, families.length, 'one message per family');
      const helps = new Map([...text.matchAll(/^# HELP (\S+) (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
      for (const family of families) {
        // The text escapes backslashes and newlines in HELP; the protobuf carries the string as is.
        assert.equal(family.help!.replace(/\\/g, '\\\\').replace(/\n/g, '\\n'), helps.get(family.name!));
      }

      const fromProto = assertSameSamples(text, families);
      assert.ok(fromProto.has(key('sdk_events_total', { kind: 'x\\y' })));
    });
  });

  it('serves each scrape’s values and series, not those it kept from the last (the series cache)', async () => {
    await withExporter(SETTINGS, async (url, _handler, metrics) => {
      const d = metrics.pingSeries({ target: 'd', address: '10.0.0.100', family: 'ipv4' }, 60);
      const sent = (families: DecodedFamily[], target: string): number | undefined =>
        families
          .find((f) => f.name === 'netdiag_ping_sent_total')
          ?.metric?.find((m) => labelsOf(m).target === target)?.counter?.value;
      const first = await scrapeBoth(url);
      assertSameSamples(first.text, first.families);
      assert.equal(sent(first.families, 'd'), 0);

      // d's counters and RTTs change; e is a new series; a's error counters are removed, so that
      // the error series after them are a place earlier than last time.
      d.record({ seq: 0, rtt: 0.003 });
      d.record({ seq: 1, rtt: null, failure: { reason: 'timeout' } });
      const e = metrics.pingSeries({ target: 'e', address: '10.0.0.101', family: 'ipv4' }, 60);
      e.record({ seq: 0, rtt: 0.5 });
      metrics.forgetTarget('a');
      const second = await scrapeBoth(url);
      const samples = assertSameSamples(second.text, second.families);
      assert.equal(sent(second.families, 'd'), 2);
      assert.equal(sent(second.families, 'e'), 1);
      const errorsOf = (target: string): string[] =>
        [...samples.keys()].filter(
          (k) => k.startsWith('netdiag_probe_errors_total') && k.includes(`"target":"${target}"`),
        );
      assert.deepEqual(errorsOf('a'), [], 'no error series of a');
      assert.ok(errorsOf('b').length > 0 && errorsOf('d').length > 0);

      // Nothing changes: the answer is the same bytes as the last (the changing families aside).
      const third = await scrapeBoth(url);
      assertSameSamples(third.text, third.families);
      assert.deepEqual(
        third.families.filter((f) => !changing(f.name!)),
        second.families.filter((f) => !changing(f.name!)),
      );
    });
  });

  it('carries each RTT in its native bucket: schema 3, the zero threshold, spans and deltas', async () => {
    await withExporter(SETTINGS, async (url) => {
      const { families } = await scrapeBoth(url);
      const rtt = families.find((f) => f.name === 'netdiag_ping_rtt_seconds')!;
      assert.equal(METRIC_TYPES[rtt.type!], 'HISTOGRAM');
      assert.equal(rtt.metric!.length, 2, 'targets a and b (c never answered)');
      for (const metric of rtt.metric!) {
        const rtts = RTTS[labelsOf(metric).target!]!;
        const histogram = metric.histogram!;
        assert.equal(histogram.schema, 3);
        assert.equal(histogram.zeroThreshold, 2 ** -128);
        assert.equal(histogram.zeroCount, 0);
        const expected = new Map<number, number>();
        for (const v of rtts) expected.set(bucketKey(v, 3), (expected.get(bucketKey(v, 3)) ?? 0) + 1);
        const decoded = nativeBuckets(histogram.positiveSpan, histogram.positiveDelta);
        assert.deepEqual(
          decoded.filter(([, count]) => count > 0),
          [...expected].sort((x, y) => x[0] - y[0]),
        );
        assert.equal(histogram.negativeSpan, undefined);
      }
      // 2^-7 is exactly the upper bound of bucket -56 at schema 3: it is counted there, not above.
      const a = rtt.metric!.find((m) => labelsOf(m).target === 'a')!;
      assert.ok(
        nativeBuckets(a.histogram!.positiveSpan, a.histogram!.positiveDelta).some(
          ([k, c]) => k === -56 && c === 1,
        ),
      );
    });
  });

  it('leaves the classic buckets out of the protobuf when told to; the text keeps them', async () => {
    await withExporter({ ...SETTINGS, classicBucketsInProtobuf: false }, async (url) => {
      const { text, families } = await scrapeBoth(url);
      const rtt = families.find((f) => f.name === 'netdiag_ping_rtt_seconds')!;
      for (const metric of rtt.metric!) {
        assert.equal(metric.histogram!.bucket, undefined);
        assert.equal(metric.histogram!.schema, 3);
      }
      assert.match(text, /^netdiag_ping_rtt_seconds_bucket\{.*le="0\.01"\} /m);
    });
  });

  it("carries a trace's per-hop probe RTTs as native histograms without classic buckets, whatever classic_buckets_in_protobuf says", async () => {
    await withExporter(SETTINGS, async (url, _handler, metrics) => {
      const labels = { target: 't', address: '10.0.9.2', family: 'ipv4', protocol: 'icmp' };
      const hopRtts = { 1: [0.0012, 0.0013], 2: [0.02, 0.021, 0.0195] };
      metrics.trace.series(labels, 64).record({
        hops: Object.entries(hopRtts).map(([ttl, rtts]) => ({
          ttl: Number(ttl),
          sent: rtts.length,
          received: rtts.length,
          forwardLoss: 0,
          forwardLossProbes: rtts.length,
          responders: [{ address: `10.0.${ttl}.1`, rtts }],
        })),
        reached: true,
        hopsToDestination: 2,
        paths: 1,
        pathChanged: false,
        duration: 0.1,
        probes: 5,
      });
      const { text, families } = await scrapeBoth(url);
      assertSameSamples(text, families);
      const family = families.find((f) => f.name === 'netdiag_trace_probe_rtt_seconds')!;
      assert.equal(METRIC_TYPES[family.type!], 'HISTOGRAM');
      assert.deepEqual(family.metric!.map((m) => labelsOf(m).hop).sort(), ['1', '2']);
      for (const metric of family.metric!) {
        const rtts = hopRtts[Number(labelsOf(metric).hop) as 1 | 2];
        const histogram = metric.histogram!;
        assert.equal(histogram.schema, 3);
        assert.equal(histogram.bucket, undefined, 'no classic bucket, though the settings ask for them');
        assert.equal(histogram.sampleCount, rtts.length);
        const expected = new Map<number, number>();
        for (const v of rtts) expected.set(bucketKey(v, 3), (expected.get(bucketKey(v, 3)) ?? 0) + 1);
        assert.deepEqual(
          nativeBuckets(histogram.positiveSpan, histogram.positiveDelta).filter(([, count]) => count > 0),
          [...expected].sort((x, y) => x[0] - y[0]),
        );
      }
      assert.deepEqual(
        [...text.matchAll(/^netdiag_trace_probe_rtt_seconds_bucket\{[^}]*hop="2"[^}]*le="([^"]+)"\}/gm)].map(
          (m) => m[1],
        ),
        ['+Inf'],
      );
    });
  });

  it('serves classic histograms only when native histograms are off', async () => {
    await withExporter({ ...SETTINGS, enabled: false }, async (url) => {
      const { families } = await scrapeBoth(url);
      const rtt = families.find((f) => f.name === 'netdiag_ping_rtt_seconds')!;
      for (const metric of rtt.metric!) {
        assert.equal(metric.histogram!.schema, undefined);
        assert.equal(metric.histogram!.bucket!.length, 3);
      }
    });
  });

  it('shares one rendering per format among the scrapes that arrive together', async () => {
    await withExporter(
      SETTINGS,
      async (_url, handler) => {
        const accepts = [undefined, ACCEPT_PROTOBUF, 'text/plain', ACCEPT_PROTOBUF];
        const responses = accepts.map(() => new RecordingResponse());
        // Joined in one turn: one collection per format.
        accepts.forEach((accept, i) =>
          handler(
            { headers: accept === undefined ? {} : { accept } } as never,
            responses[i] as unknown as ServerResponse,
          ),
        );
        const deadline = Date.now() + 10_000;
        while (responses.some((r) => !r.ended) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 5));
        assert.equal(handler.renderings, 2);
        const [text, proto, text2, proto2] = responses.map((r) => r.body) as [Buffer, Buffer, Buffer, Buffer];
        assert.ok(text.equals(text2));
        assert.ok(proto.equals(proto2));
        assert.ok(decodeMetricFamilies(proto).length > 5);
        assert.match(text.toString(), /^# TYPE netdiag_ping_rtt_seconds histogram$/m);
        assert.equal(responses[1]!.headers['content-type'], CONTENT_TYPE.protobuf);
      },
      1,
    );
  });
});

describe('the protobuf encoder against the vendored client_model schema', () => {
  it('numbers each field it writes as the schema numbers the field of that name', () => {
    for (const [message, fields] of Object.entries(CLIENT_MODEL_FIELDS)) {
      const type = clientModelType(message);
      for (const [name, number] of Object.entries(fields))
        assert.equal(type.fields[name]?.id, number, `${message}.${name}`);
    }
    for (const [name, value] of Object.entries(METRIC_TYPE))
      assert.equal(METRIC_TYPES[value], name.toUpperCase());
  });

  it('writes only fields the schema declares for their message, with the declared wire types', async () => {
    const seen = new Set<string>();
    for (const settings of [
      SETTINGS,
      { ...SETTINGS, classicBucketsInProtobuf: false },
      { ...SETTINGS, enabled: false },
    ]) {
      await withExporter(settings, async (url) => {
        const response = await fetch(`${url}/metrics`, { headers: { accept: ACCEPT_PROTOBUF } });
        decodeMetricFamilies(new Uint8Array(await response.arrayBuffer()), seen);
      });
    }
    // The walk met every field the encoder can write, but the negative native buckets (an RTT is
    // never negative): otherwise it checked less than it claims.
    const written = Object.entries(CLIENT_MODEL_FIELDS).flatMap(([message, fields]) =>
      Object.keys(fields).map((name) => `${message}.${name}`),
    );
    assert.deepEqual([...seen].sort(), written.filter((field) => !/^Histogram\.negative/.test(field)).sort());
  });

  it('has a decoder that rejects a field number or wire type its message does not declare', () => {
    const tag = (field: number, wireType: number): number => ((field << 3) | wireType) >>> 0;
    /** One delimited MetricFamily holding one Metric whose histogram is `histogram`. */
    const family = (histogram: Uint8Array): Uint8Array => {
      const metric = protobuf.Writer.create().uint32(tag(7, 2)).bytes(histogram).finish();
      const body = protobuf.Writer.create().uint32(tag(4, 2)).bytes(metric).finish();
      return protobuf.Writer.create().bytes(body).finish();
    };
    const histogram = (): protobuf.Writer => protobuf.Writer.create().uint32(tag(1, 0)).uint32(3);

    // The control: count, sum, a bucket and packed positive deltas are what the schema declares.
    const bucket = protobuf.Writer.create()
      .uint32(tag(1, 0))
      .uint32(3)
      .uint32(tag(2, 1))
      .double(0.5)
      .finish();
    const deltas = protobuf.Writer.create().sint64(2).sint64(-1).finish();
    const valid = histogram()
      .uint32(tag(2, 1))
      .double(1.5)
      .uint32(tag(3, 2))
      .bytes(bucket)
      .uint32(tag(13, 2))
      .bytes(deltas)
      .finish();
    const [decoded] = decodeMetricFamilies(family(valid));
    assert.deepEqual(decoded!.metric![0]!.histogram, {
      sampleCount: 3,
      sampleSum: 1.5,
      bucket: [{ cumulativeCount: 3, upperBound: 0.5 }],
      positiveDelta: [2, -1],
    });

    const planted: Array<[what: string, bytes: Uint8Array, message: RegExp]> = [
      [
        'a field Histogram does not declare (15)',
        family(histogram().uint32(tag(15, 0)).uint32(1).finish()),
        /metric\.histogram: field 15 \(wire type 0\) is not declared in Histogram/,
      ],
      [
        'a Bucket upper bound as a varint',
        family(
          histogram()
            .uint32(tag(3, 2))
            .bytes(protobuf.Writer.create().uint32(tag(2, 0)).uint32(1).finish())
            .finish(),
        ),
        /Bucket\.upperBound \(2\) has wire type 0, the schema's double is 1/,
      ],
      [
        'a sum (not repeated) as a packed run',
        family(histogram().uint32(tag(2, 2)).bytes(new Uint8Array(8)).finish()),
        /Histogram\.sampleSum \(2\) has wire type 2/,
      ],
      [
        'a packed run of deltas cut in a varint',
        family(histogram().uint32(tag(13, 2)).bytes(Uint8Array.of(0x02, 0x80)).finish()),
        /positiveDelta/,
      ],
      [
        'a histogram longer than its metric',
        family(Uint8Array.of(tag(1, 0), 3, tag(3, 2), 20, 0)),
        /bucket: 20 bytes announced/,
      ],
    ];
    for (const [what, bytes, message] of planted)
      assert.throws(
        () => decodeMetricFamilies(bytes),
        (error: unknown) => {
          assert.ok(error instanceof SchemaViolation, what);
          assert.match(error.message, message, what);
          return true;
        },
      );
  });
});

/** A response that copies each chunk as it is written (the pool reuses them) and takes it at once. */
class RecordingResponse extends EventEmitter {
  destroyed = false;
  headersSent = false;
  writableFinished = false;
  ended = false;
  headers: OutgoingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  writeHead(_status: number, headers: OutgoingHttpHeaders): this {
    this.headersSent = true;
    this.headers = headers;
    return this;
  }
  write(chunk: Buffer, sent?: () => void): boolean {
    this.chunks.push(Buffer.from(chunk));
    if (sent) setImmediate(sent);
    return true;
  }
  end(): void {
    this.ended = true;
    this.writableFinished = true;
  }
  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
