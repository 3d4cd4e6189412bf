import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { get, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { createPrometheusPipeline, createScrapeHandler, ExporterMetrics } from '../../../exporter/metrics';
import { silentLogger } from '../../../exporter/logging';
import { ExporterServer } from '../../../exporter/server';
import { parseSamples } from '../../support/scrape';

function populated(targets: number) {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
    histogramBuckets: [0.001, 0.01, 0.1],
    store: pipeline.store,
  });
  for (let i = 0; i < targets; i++) {
    const series = metrics.pingSeries(
      { target: `t${i}`, address: `10.0.${i >> 8}.${i & 255}`, family: 'ipv4' },
      60,
    );
    for (let seq = 0; seq <= i % 5; seq++) series.record({ seq, rtt: 0.0001 * (i + seq) });
  }
  return {
    pipeline,
    close: async () => {
      metrics.close();
      await pipeline.shutdown();
    },
  };
}

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

function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    get(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

describe('gzip on /metrics', () => {
  it('compresses a shared rendering once for every scrape that accepts gzip, to exactly the identity text', async () => {
    const { pipeline, close } = populated(400);
    const createGzip = mock.method(zlib, 'createGzip');
    try {
      const handler = createScrapeHandler(pipeline, { pointsPerChunk: 50 });
      const asks = [undefined, 'gzip', 'br;q=1.0, gzip;q=0.5', 'gzip;q=0', 'gzip, deflate'];
      const responses = asks.map(() => new RecordingResponse());
      // Joined in one turn: one collection, one text.
      asks.forEach((accept, i) =>
        handler(
          { headers: accept === undefined ? {} : { 'accept-encoding': accept } } as never,
          responses[i] as unknown as ServerResponse,
        ),
      );
      const deadline = Date.now() + 10_000;
      while (responses.some((r) => !r.ended) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      assert.equal(handler.renderings, 1);
      assert.equal(createGzip.mock.callCount(), 1, 'one gzip stream for the three scrapes that accept it');
      const [identity, gzip, weighted, refused, listed] = responses as [
        RecordingResponse,
        RecordingResponse,
        RecordingResponse,
        RecordingResponse,
        RecordingResponse,
      ];
      assert.ok(identity.body.length > 3 * 64 * 1024, `${identity.body.length} bytes: several chunks`);
      for (const response of [gzip, weighted, listed]) {
        assert.equal(response.headers['content-encoding'], 'gzip');
        assert.equal(response.headers['vary'], 'Accept, Accept-Encoding');
        assert.ok(zlib.gunzipSync(response.body).equals(identity.body), 'decompresses to the identity body');
        assert.ok(response.body.length < identity.body.length / 5, `${response.body.length} gzip bytes`);
      }
      for (const response of [identity, refused]) {
        assert.equal(response.headers['content-encoding'], undefined);
        assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      }
      assert.ok(refused.body.equals(identity.body));
    } finally {
      createGzip.mock.restore();
      await close();
    }
  });

  it('serves over HTTP a gzip body whose samples are those of an identity scrape', async () => {
    const { pipeline, close } = populated(50);
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: createScrapeHandler(pipeline, { pointsPerChunk: 7 }),
    });
    try {
      const plain = await rawGet(`${server.url}/metrics`, {});
      const packed = await rawGet(`${server.url}/metrics`, { 'accept-encoding': 'gzip' });
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(packed.headers['content-encoding'], 'gzip');
      assert.equal(packed.headers['vary'], 'Accept, Accept-Encoding');
      const stable = (text: string) =>
        parseSamples(text)
          .filter((s) => !s.name.startsWith('netdiag_event_loop') && !s.name.startsWith('netdiag_scrape'))
          .map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`);
      const unpacked = zlib.gunzipSync(packed.body).toString();
      assert.deepEqual(stable(unpacked), stable(plain.body.toString()));
      assert.equal(parseSamples(unpacked).filter((s) => s.name === 'netdiag_ping_sent_total').length, 50);
    } finally {
      await server.close();
      await close();
    }
  });

  it('paces the compressed copy by its readers: one that never drains is cut, the others get theirs whole', async () => {
    const { pipeline, close } = populated(400);
    try {
      const handler = createScrapeHandler(pipeline, {
        pointsPerChunk: 50,
        unreadTimeoutMs: 300,
        stallTimeoutMs: 300,
      });
      const reader = new RecordingResponse();
      // Takes the first write and then nothing: its buffer stays above the high-water mark.
      const sleeper = Object.assign(new RecordingResponse(), {
        write: () => false,
        destroy(this: RecordingResponse) {
          this.destroyed = true;
          this.emit('close');
        },
      });
      const gzipped = { headers: { 'accept-encoding': 'gzip' } } as never;
      handler(gzipped, sleeper as unknown as ServerResponse);
      handler(gzipped, reader as unknown as ServerResponse);
      const deadline = Date.now() + 10_000;
      while (!reader.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.equal(handler.count('unread'), 1, 'the sleeper was cut');
      assert.ok(sleeper.destroyed);
      assert.equal(handler.count('sent'), 1);
      const text = zlib.gunzipSync(reader.body).toString();
      assert.equal(parseSamples(text).filter((s) => s.name === 'netdiag_ping_sent_total').length, 400);
    } finally {
      await close();
    }
  });
});
