import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import {
  createPrometheusPipeline,
  createScrapeHandler,
  ExporterMetrics,
  PrometheusTextWriter,
  type MetricColumn,
  type ScrapeHandlerOptions,
} from '../../../exporter/metrics';
import { silentLogger } from '../../../exporter/logging';
import { ExporterServer } from '../../../exporter/server';
import { parseResponses, type RawResponse } from '../../support/http-responses';
import { parseSamples } from '../../support/scrape';

const SCRAPE = 'GET /metrics HTTP/1.1\r\nHost: exporter\r\n\r\n';

/** A writer that counts the stored series it renders. */
class CountingWriter extends PrometheusTextWriter {
  series = 0;
  override columnSamples(column: MetricColumn, start: number, end: number): string {
    this.series += Math.min(end, column.length) - start;
    return super.columnSamples(column, start, end);
  }
}

/** An exporter of `targets` ping series behind a scrape handler whose collections are counted. */
async function exporterOf(targets: number, options: ScrapeHandlerOptions, buckets = [0.001, 0.01, 0.1]) {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: 100_000 });
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
    histogramBuckets: buckets,
    store: pipeline.store,
  });
  for (let i = 0; i < targets; i++) {
    const address = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
    const series = metrics.pingSeries({ target: `t${i}`, address, family: 'ipv4' }, 60);
    series.record({ seq: 0, rtt: 0.0001 * (i % 1000) });
  }
  const state = { collects: 0, finished: 0, onCollect: (): void => {} };
  const source = {
    exporter: {
      collect: () => {
        state.collects++;
        state.onCollect();
        return pipeline.exporter.collect();
      },
    },
    store: pipeline.store,
  };
  const writer = new CountingWriter();
  const handler = createScrapeHandler(source, { writer, ...options });
  const server = await ExporterServer.listen({
    listen: { host: '127.0.0.1', port: 0 },
    logger: silentLogger,
    metrics: (request, response) => {
      response.on('finish', () => state.finished++);
      handler(request, response);
    },
  });
  return {
    state,
    writer,
    handler,
    server,
    close: async () => {
      await server.close();
      handler.close();
      metrics.close();
      await pipeline.shutdown();
    },
  };
}

/** A raw connection that keeps every byte it receives. */
async function rawClient(
  port: number,
  localAddress = '127.0.0.1',
): Promise<{ socket: Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const parts: Buffer[] = [];
  socket.on('data', (data: Buffer) => parts.push(data));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => Buffer.concat(parts), closed };
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a response is a whole scrape of `targets` targets. */
function wholeScrape(response: RawResponse, targets: number): boolean {
  if (response.status !== 200 || !response.complete) return false;
  const sent = parseSamples(response.body).filter((s) => s.name === 'netdiag_ping_sent_total');
  return sent.length === targets && response.body.endsWith('\n');
}

describe('scrape bounds', () => {
  it('renders one scrape at a time per connection; pipelined ones past the queue get 429', async () => {
    const lab = await exporterOf(300, { pointsPerChunk: 50, maxRenderings: 4 });
    let overlaps = 0;
    // At the n-th collection, the n - 1 responses before it on the connection are sent.
    lab.state.onCollect = () => {
      if (lab.state.finished < lab.state.collects - 1) overlaps++;
    };
    const client = await rawClient(lab.server.port);
    try {
      client.socket.write(SCRAPE.repeat(200));
      await within(client.closed, 20_000, 'close by the server');
      const responses = parseResponses(client.received());
      assert.equal(overlaps, 0, 'no collection while an earlier scrape of the connection was in progress');
      assert.ok(lab.state.collects <= 3, `${lab.state.collects} collections for 200 pipelined scrapes`);
      const served = responses.filter((r) => r.status === 200);
      assert.equal(served.length, lab.state.collects);
      for (const response of served) assert.ok(wholeScrape(response, 300), 'a whole scrape');
      // Then one 429, and the connection closes: the other requests are dropped unanswered.
      assert.deepEqual(
        responses.slice(served.length).map((r) => [r.status, r.headers['retry-after'], r.headers.connection]),
        [[429, '1', 'close']],
      );
      assert.equal(lab.handler.count('refused_pipelined'), 200 - served.length);
      assert.equal(lab.handler.count('sent'), served.length);
    } finally {
      client.socket.destroy();
      await lab.close();
    }
  });

  it('stops rendering for a client that hung up, pipelined scrapes included', async () => {
    const lab = await exporterOf(2000, { pointsPerChunk: 20, maxRenderings: 4 });
    const client = await rawClient(lab.server.port);
    try {
      lab.state.onCollect = () => {
        client.socket.destroy();
      };
      client.socket.write(SCRAPE.repeat(50));
      await within(client.closed, 5000, 'client close');
      // Until nothing is rendered for 300 ms.
      let rendered = -1;
      for (let quiet = 0; quiet < 300; quiet += 20) {
        if (lab.writer.series !== rendered) quiet = 0;
        rendered = lab.writer.series;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(lab.state.collects, 1, 'one collection, for the scrape at the head only');
      // A whole rendering is more than 5 series per target.
      assert.ok(rendered < 2000, `${rendered} series rendered before it stopped`);
      await until(() => lab.handler.count('closed') >= 3, 'the waiting scrapes to settle', 5000);
      assert.equal(lab.handler.count('closed'), 3);
      assert.equal(lab.handler.count('refused_pipelined'), 47);
    } finally {
      await lab.close();
    }
  });

  it('cuts a response its client does not read, and serves the others meanwhile', async () => {
    // Some 10 MB of text: more than the kernel's socket buffers hold on loopback.
    const buckets = Array.from({ length: 20 }, (_, i) => 0.0001 * 2 ** i);
    const lab = await exporterOf(
      5000,
      { pointsPerChunk: 500, unreadTimeoutMs: 300, stallTimeoutMs: 300 },
      buckets,
    );
    const sleeper = await rawClient(lab.server.port);
    const reader = await rawClient(lab.server.port);
    try {
      sleeper.socket.pause();
      sleeper.socket.write(SCRAPE);
      reader.socket.write(`${SCRAPE.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`);
      await within(reader.closed, 20_000, 'the reader to get its scrape');
      const [read] = parseResponses(reader.received());
      assert.ok(read && wholeScrape(read, 5000), 'the reader got a whole scrape');
      assert.ok(read.body.length > 8e6, `${read.body.length} bytes`);
      await until(() => lab.handler.count('unread') === 1, 'the unread response to be cut', 10_000);
      sleeper.socket.resume();
      await within(sleeper.closed, 5000, 'the connection of the unread response to close');
      const [unread] = parseResponses(sleeper.received());
      assert.equal(unread?.status, 200);
      assert.equal(unread.complete, false, 'cut short');
      assert.equal(lab.handler.count('sent'), 1);
    } finally {
      sleeper.socket.destroy();
      reader.socket.destroy();
      await lab.close();
    }
  });

  it('shares one rendering among scrapers that arrive together: every one gets the same whole text', async () => {
    // All from one address: no per-client bound in the way.
    const lab = await exporterOf(300, { pointsPerChunk: 50, maxScrapesPerClient: 50 });
    const clients = await Promise.all(Array.from({ length: 50 }, () => rawClient(lab.server.port)));
    try {
      for (const client of clients)
        client.socket.write(SCRAPE.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
      await within(Promise.all(clients.map((client) => client.closed)), 20_000, 'all 50 scrapes');
      const bodies = clients.map((client) => parseResponses(client.received())[0]);
      for (const body of bodies) assert.ok(body && wholeScrape(body, 300), 'a whole scrape');
      assert.ok(lab.state.collects <= 10, `${lab.state.collects} collections for 50 scrapers`);
      // One text per rendering, byte for byte (the scrape counters differ between renderings only).
      assert.ok(new Set(bodies.map((body) => body?.body)).size <= lab.state.collects);
      assert.equal(lab.handler.count('sent'), 50);
      assert.equal(lab.handler.renderings, lab.state.collects);
    } finally {
      for (const client of clients) client.socket.destroy();
      await lab.close();
    }
  });

  it('answers 503 with Retry-After past the cap on scrapes in progress', async () => {
    const lab = await exporterOf(300, { pointsPerChunk: 50, maxScrapes: 5 });
    const clients = await Promise.all(Array.from({ length: 20 }, () => rawClient(lab.server.port)));
    try {
      for (const client of clients)
        client.socket.write(SCRAPE.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
      await within(Promise.all(clients.map((client) => client.closed)), 20_000, 'all 20 answers');
      const responses = clients.map((client) => parseResponses(client.received())[0]);
      const served = responses.filter((r) => r?.status === 200);
      const refused = responses.filter((r) => r?.status === 503);
      assert.equal(served.length + refused.length, 20);
      assert.ok(served.length >= 5, `${served.length} served`);
      assert.ok(refused.length > 0, 'some refused');
      for (const response of served) assert.ok(response && wholeScrape(response, 300));
      for (const response of refused) assert.equal(response?.headers['retry-after'], '1');
      assert.equal(lab.handler.count('refused_busy'), refused.length);
    } finally {
      for (const client of clients) client.socket.destroy();
      await lab.close();
    }
  });

  /** Some 10 MB of text: more than the kernel's socket buffers hold on loopback. */
  const BIG = Array.from({ length: 20 }, (_, i) => 0.0001 * 2 ** i);

  it('keeps clients that never read from keeping out the scrapes of another address', async () => {
    const lab = await exporterOf(
      5000,
      { pointsPerChunk: 500, maxScrapesPerClient: 4, unreadTimeoutMs: 60_000, stallTimeoutMs: 300 },
      BIG,
    );
    const sleepers = await Promise.all(Array.from({ length: 10 }, () => rawClient(lab.server.port)));
    try {
      for (const sleeper of sleepers) {
        sleeper.socket.pause();
        sleeper.socket.write(SCRAPE);
      }
      await until(() => lab.handler.count('refused_client') === 6, 'six refusals');
      const reader = await rawClient(lab.server.port, '127.0.0.2');
      reader.socket.write(SCRAPE.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
      // Far less than the 60 s unread timeout: the stalled responses that held it back were cut.
      await within(reader.closed, 20_000, 'the scrape of the other address');
      const [read] = parseResponses(reader.received());
      assert.ok(read && wholeScrape(read, 5000), 'a whole scrape');
      assert.ok(lab.handler.count('unread') >= 1, 'a stalled response was cut');
      assert.equal(lab.handler.count('refused_busy'), 0);
    } finally {
      for (const sleeper of sleepers) sleeper.socket.destroy();
      await lab.close();
    }
  });

  it('gives the place of a response stalled for long enough to a new scrape', async () => {
    const lab = await exporterOf(
      5000,
      { pointsPerChunk: 500, maxScrapes: 3, maxRenderings: 4, unreadTimeoutMs: 60_000, stallTimeoutMs: 300 },
      BIG,
    );
    const sleepers = await Promise.all(Array.from({ length: 3 }, () => rawClient(lab.server.port)));
    try {
      for (const sleeper of sleepers) {
        sleeper.socket.pause();
        sleeper.socket.write(SCRAPE);
      }
      await until(() => lab.state.collects >= 1, 'a rendering');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const reader = await rawClient(lab.server.port);
      reader.socket.write(SCRAPE.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
      await within(reader.closed, 20_000, 'the new scrape');
      const [read] = parseResponses(reader.received());
      assert.ok(read && wholeScrape(read, 5000), 'a whole scrape, not a 503');
      assert.equal(lab.handler.count('refused_busy'), 0);
      assert.equal(lab.handler.count('unread'), 1, 'the oldest stalled response gave up its place');
      assert.equal(lab.handler.count('sent'), 1);
    } finally {
      for (const sleeper of sleepers) sleeper.socket.destroy();
      await lab.close();
    }
  });
});
