import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { createPrometheusPipeline, createScrapeHandler, ExporterMetrics } from '../../../exporter/metrics';
import { silentLogger } from '../../../exporter/logging';
import { ExporterServer } from '../../../exporter/server';
import { parseSamples, scrapeText } from '../../support/scrape';

function promtoolCheck(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stdout}${stderr}`)) : resolve(`${stdout}${stderr}`),
    );
    child.stdin?.end(text);
  });
}

/** Series that change from one scrape to the next: the event loop's, and the scrapes' own counts. */
const changing = (name: string): boolean =>
  name.startsWith('netdiag_event_loop') || name.startsWith('netdiag_scrape');

describe('createScrapeHandler', () => {
  it('serves in slices exactly what a one-piece serialization gives, as valid exposition text', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: [0.001, 0.01],
    });
    for (let i = 0; i < 7; i++) {
      const series = metrics.pingSeries({ target: `t${i}`, address: `10.0.0.${i}`, family: 'ipv4' }, 60);
      series.record({ seq: 0, rtt: 0.002 * i });
      series.record({ seq: 1, rtt: null, failure: { reason: 'timeout' } });
    }
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: createScrapeHandler(pipeline, { pointsPerChunk: 3 }),
    });
    try {
      const response = await fetch(`${server.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const sliced = await response.text();
      const whole = await scrapeText(pipeline);
      const key = (s: { name: string; labels: Record<string, string> }) =>
        `${s.name}${JSON.stringify(s.labels)}`;
      const omitLoopDelay = (text: string) => parseSamples(text).filter((s) => !changing(s.name));
      assert.deepEqual(omitLoopDelay(sliced).map(key).sort(), omitLoopDelay(whole).map(key).sort());
      assert.equal(parseSamples(sliced).filter((s) => s.name === 'netdiag_ping_sent_total').length, 7);
      assert.equal(sliced.match(/^# TYPE netdiag_ping_rtt_seconds histogram$/gm)?.length, 1);
      assert.equal(sliced.match(/^target_info/gm)?.length, 1);
      assert.equal((await promtoolCheck(sliced)).trim(), '');
    } finally {
      await server.close();
      metrics.close();
      await pipeline.shutdown();
    }
  });

  it('hands over at most about 1 MiB of text a turn, however many points a turn may take', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
    // 32 buckets: a point is 34 lines, about 3 KB of text.
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: Array.from({ length: 32 }, (_, k) => 1e-5 * 2 ** k),
      store: pipeline.store,
    });
    for (let i = 0; i < 2000; i++) {
      const series = metrics.pingSeries(
        { target: `t${i}`, address: `10.1.${i >> 8}.${i & 255}`, family: 'ipv4' },
        60,
      );
      series.record({ seq: 0, rtt: 0.001 });
    }
    // A socket that takes every chunk at once: the rendering never waits for it to drain.
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const perTurn = new Map<number, number>();
    class EagerSocket extends EventEmitter {
      destroyed = false;
      headersSent = false;
      writableFinished = false;
      bytes = 0;
      writeHead(): this {
        this.headersSent = true;
        return this;
      }
      write(chunk: Buffer, sent?: () => void): boolean {
        perTurn.set(turn, (perTurn.get(turn) ?? 0) + chunk.length);
        this.bytes += chunk.length;
        sent?.();
        return true;
      }
      end(): void {
        this.writableFinished = true;
        this.emit('finish');
      }
    }
    try {
      const socket = new EagerSocket();
      const done = new Promise((resolve) => socket.once('finish', resolve));
      createScrapeHandler(pipeline, { pointsPerChunk: 100_000 })(
        {} as never,
        socket as unknown as ServerResponse,
      );
      await done;
      assert.ok(socket.bytes > 5_000_000, `${socket.bytes} bytes`);
      const largest = Math.max(...perTurn.values());
      // 1 MiB, the chunk being filled when it was reached, and a piece of 8 points.
      assert.ok(largest <= 2 ** 20 + 64 * 1024 + 8 * 4096, `${largest} bytes in one turn`);
      assert.ok(perTurn.size >= 5, `${perTurn.size} turns`);
    } finally {
      ticking = false;
      metrics.close();
      await pipeline.shutdown();
    }
  });

  it('reuses a chunk only once the socket has sent it: concurrent slow scrapes stay exact', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: [0.001, 0.01, 0.1],
      store: pipeline.store,
    });
    for (let i = 0; i < 400; i++) {
      const address = `10.0.${i >> 8}.${i & 255}`;
      const series = metrics.pingSeries({ target: `t${i}`, address, family: 'ipv4' }, 60);
      for (let seq = 0; seq <= i % 5; seq++) series.record({ seq, rtt: 0.0001 * (i + seq) });
    }
    // A socket that reads a chunk's bytes only when it sends it, a few milliseconds after the write.
    class LateSocket extends EventEmitter {
      destroyed = false;
      headersSent = false;
      body = '';
      ended = false;
      private readonly queue: Array<{ chunk: Buffer; sent?: () => void }> = [];
      writeHead(): this {
        this.headersSent = true;
        return this;
      }
      write(chunk: Buffer, sent?: () => void): boolean {
        this.queue.push({ chunk, ...(sent && { sent }) });
        if (this.queue.length === 1) setTimeout(() => this.send(), 2);
        return this.queue.length < 3;
      }
      end(): void {
        this.ending = true;
        if (this.queue.length === 0) this.finish();
      }
      /** As a ServerResponse: 'finish' once the socket took the last bytes. */
      writableFinished = false;
      private finish(): void {
        this.ended = true;
        this.writableFinished = true;
        this.emit('finish');
      }
      private ending = false;
      private send(): void {
        const next = this.queue.shift();
        if (!next) return;
        this.body += next.chunk.toString();
        next.sent?.();
        if (this.queue.length > 0) setTimeout(() => this.send(), 2);
        else if (this.ending) this.finish();
        else this.emit('drain');
      }
    }
    const fixed = (text: string) =>
      parseSamples(text)
        .filter((s) => !changing(s.name))
        .map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`)
        .sort();
    try {
      const expected = fixed(await scrapeText(pipeline));
      assert.ok(expected.length > 400 * 8, `${expected.length} samples`);
      const handler = createScrapeHandler(pipeline, { pointsPerChunk: 50 });
      for (let round = 0; round < 2; round++) {
        const sockets = [new LateSocket(), new LateSocket()];
        for (const socket of sockets) handler({} as never, socket as unknown as ServerResponse);
        const deadline = Date.now() + 10_000;
        while (sockets.some((socket) => !socket.ended) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        for (const socket of sockets) {
          assert.ok(socket.ended, 'the scrape ended');
          assert.ok(socket.body.length > 3 * 64 * 1024, `${socket.body.length} bytes: several chunks`);
          assert.deepEqual(fixed(socket.body), expected);
        }
      }
    } finally {
      metrics.close();
      await pipeline.shutdown();
    }
  });

  it('waits for a slow client without piling up listeners', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 10_000 });
    const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('test'), {
      histogramBuckets: [0.001, 0.01],
    });
    for (let i = 0; i < 50; i++) {
      metrics
        .pingSeries({ target: `t${i}`, address: `10.0.0.${i}`, family: 'ipv4' }, 60)
        .record({ seq: 0, rtt: 0.001 });
    }
    // a response whose buffer is always full: every write waits for a 'drain'
    const response = new (class extends EventEmitter {
      destroyed = false;
      headersSent = false;
      waits = 0;
      mostListeners = 0;
      body = '';
      ended = false;
      writeHead(): this {
        this.headersSent = true;
        return this;
      }
      write(chunk: Buffer | string): boolean {
        this.body += chunk.toString();
        this.waits++;
        setImmediate(() => {
          this.mostListeners = Math.max(
            this.mostListeners,
            this.listenerCount('drain') + this.listenerCount('close'),
          );
          this.emit('drain');
        });
        return false;
      }
      writableFinished = false;
      end(chunk?: Buffer | string): void {
        if (chunk !== undefined) this.body += chunk.toString();
        this.ended = true;
        // Nothing is held back: everything is taken at once.
        this.writableFinished = true;
      }
    })();
    try {
      createScrapeHandler(pipeline, { pointsPerChunk: 3 })(
        {} as never,
        response as unknown as ServerResponse,
      );
      const deadline = Date.now() + 5000;
      while (!response.ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(response.ended, 'the scrape ended');
      assert.ok(response.waits > 20, `${response.waits} waits for drain`);
      assert.equal(response.mostListeners, 2, 'one drain and one close listener at a time');
      assert.equal(response.listenerCount('drain') + response.listenerCount('close'), 0);
      assert.equal(
        parseSamples(response.body).filter((s) => s.name === 'netdiag_ping_sent_total').length,
        50,
      );
    } finally {
      metrics.close();
      await pipeline.shutdown();
    }
  });
});
