import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExporterServer } from '../../../exporter/server';
import type { Server } from 'node:http';
import { createLogger, silentLogger } from '../../../exporter/logging';

describe('ExporterServer', () => {
  it('serves /, /metrics and /-/healthy, 404 elsewhere, 405 for other methods', async () => {
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end('netdiag_up 1\n'),
    });
    try {
      const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
      const metrics = await get('/metrics');
      assert.equal(metrics.status, 200);
      assert.equal(await metrics.text(), 'netdiag_up 1\n');
      assert.equal((await get('/-/healthy')).status, 200);
      assert.equal((await get('/metrics?x=1')).status, 200);
      assert.equal((await get('/')).status, 200);
      assert.equal((await get('/index.html')).status, 404);
      assert.equal((await get('/probe?target=10.0.0.1')).status, 404);
      const post = await get('/metrics', { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
    } finally {
      await server.close();
    }
  });

  it('finishes an in-flight scrape on close, then refuses connections; close is idempotent', async () => {
    let release: () => void = () => {};
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => {
        release = () => response.end('late but complete\n');
      },
    });
    const url = server.url;
    const scrape = fetch(`${url}/metrics`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = server.close();
    assert.equal(server.close(), closed);
    release();
    assert.equal(await scrape, 'late but complete\n');
    await closed;
    await assert.rejects(fetch(`${url}/-/healthy`));
  });

  it('serves /-/ready by the readiness callback, and POST /-/reload by the reload callback', async () => {
    let ready = false;
    const outcomes = [
      { ok: true, message: 'config reloaded' },
      { ok: false, message: 'config.yaml:3:5: targets[0].ping.interval: must be positive' },
    ];
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end(),
      ready: () => ready,
      reload: async () => outcomes.shift()!,
    });
    try {
      const call = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
      assert.equal((await call('/-/ready')).status, 503);
      ready = true;
      assert.equal((await call('/-/ready')).status, 200);
      const get = await call('/-/reload');
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST, PUT');
      const first = await call('/-/reload', { method: 'POST' });
      assert.equal(first.status, 200);
      assert.equal(await first.text(), 'config reloaded\n');
      const second = await call('/-/reload', { method: 'PUT' });
      assert.equal(second.status, 500);
      assert.match(await second.text(), /^config\.yaml:3:5: targets\[0\]/);
    } finally {
      await server.close();
    }
  });

  it('has no /-/reload when no reload callback is given', async () => {
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end(),
    });
    try {
      assert.equal((await fetch(`${server.url}/-/reload`, { method: 'POST' })).status, 404);
      assert.equal((await fetch(`${server.url}/-/ready`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('reports a failed accept (EMFILE) in the log and keeps serving instead of crashing', async () => {
    const logs: string[] = [];
    let raw: Server | undefined;
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: 'error', write: (line) => logs.push(line) }),
      metrics: (_request, response) => response.end(),
      protection: { tls: undefined, attach: (s) => (raw = s), admit: async () => true },
    });
    try {
      // What node:net emits when accept() fails for want of a descriptor.
      raw?.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }));
      assert.match(logs.join('\n'), /HTTP server error" code=EMFILE cause="accept EMFILE"/);
      assert.equal((await fetch(`${server.url}/-/healthy`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
