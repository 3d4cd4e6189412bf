import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExporterServer } from '../../../exporter/server';
import { silentLogger } from '../../../exporter/logging';

describe('ExporterServer', () => {
  it('serves /metrics and /-/healthy, 404 elsewhere, 405 for other methods', async () => {
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
      assert.equal((await get('/')).status, 404);
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
});
