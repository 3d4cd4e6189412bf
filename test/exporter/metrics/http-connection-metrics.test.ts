import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { silentLogger } from '../../../exporter/logging';
import { createPrometheusPipeline, observeHttpConnections } from '../../../exporter/metrics';
import { ExporterServer } from '../../../exporter/server';
import { eventually, RawClient } from '../../support/raw-client';
import { parseSamples, scrapeText, select } from '../../support/scrape';

describe('netdiag_http_connections*', () => {
  it('counts open connections and the ones the server closed, by reason', async () => {
    const held: ServerResponse[] = [];
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => held.push(response),
      connections: {
        maxConnections: 3,
        headersTimeoutMs: 500,
        requestTimeoutMs: 500,
        timeoutCheckIntervalMs: 100,
      },
    });
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    observeHttpConnections(pipeline.meterProvider.getMeter('test'), pipeline.store, () =>
      server.connectionStats(),
    );
    const clients: RawClient[] = [];
    const open = async (): Promise<RawClient> => {
      const client = await RawClient.tcp(server.port);
      clients.push(client);
      return client;
    };
    try {
      const garbage = await open();
      garbage.write('BAD\r\n\r\n'); // bad_request
      const silent = await open(); // timeout after 0.5 s
      assert.ok(await garbage.closedWithin(5000));
      assert.ok(await silent.closedWithin(5000));
      for (let i = 0; i < 3; i++) (await open()).write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(await eventually(() => held.length === 3, 5000));
      assert.ok(await (await open()).closedWithin(5000)); // refused: all three busy

      const samples = parseSamples(await scrapeText(pipeline));
      assert.equal(select(samples, 'netdiag_http_connections')[0]?.value, 3);
      assert.equal(select(samples, 'netdiag_http_connections_max')[0]?.value, 3);
      assert.deepEqual(
        select(samples, 'netdiag_http_connections_closed_total').map((s) => [s.labels.reason, s.value]),
        [
          ['evicted', 0],
          ['refused', 1],
          ['timeout', 1],
          ['bad_request', 1],
        ],
      );
      for (const response of held) response.end();
    } finally {
      for (const client of clients) client.destroy();
      await server.close();
      await pipeline.shutdown();
    }
  });
});
