import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createLogger, silentLogger } from '../../../exporter/logging';
import {
  connectionLimits,
  defaultMaxConnections,
  ExporterServer,
  readDescriptorLimit,
} from '../../../exporter/server';
import { eventually, RawClient } from '../../support/raw-client';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 4096                 files
Max locked memory         8388608              8388608              bytes
`;

describe('connection limits', () => {
  it('reads the soft descriptor limit, and nothing when unlimited or unreadable', () => {
    assert.equal(
      readDescriptorLimit(() => LIMITS),
      1024,
    );
    assert.equal(
      readDescriptorLimit(() => LIMITS.replace('1024 ', 'unlimited ')),
      undefined,
    );
    assert.equal(
      readDescriptorLimit(() => {
        throw new Error('ENOENT');
      }),
      undefined,
    );
    assert.equal(typeof readDescriptorLimit(), 'number');
  });

  it('caps connections at a quarter of the descriptors, at most 512, at least 1', () => {
    assert.equal(defaultMaxConnections(1024), 256);
    assert.equal(defaultMaxConnections(256), 64);
    assert.equal(defaultMaxConnections(1_048_576), 512);
    assert.equal(defaultMaxConnections(undefined), 512);
    assert.equal(defaultMaxConnections(3), 1);
  });

  it('refuses limits that are not positive integers', () => {
    assert.throws(() => connectionLimits({ maxConnections: 0 }), /maxConnections must be a positive integer/);
    assert.throws(() => connectionLimits({ headersTimeoutMs: 1.5 }), /headersTimeoutMs/);
    assert.throws(
      () => connectionLimits({ headersTimeoutMs: 2000, requestTimeoutMs: 1000 }),
      /must not exceed requestTimeoutMs/,
    );
    assert.equal(connectionLimits({ maxConnections: 7 }).maxConnections, 7);
    assert.equal(connectionLimits({}).headersTimeoutMs, 10_000);
  });

  it('at the cap, closes the oldest connection without a request in flight: idle ones never lock scrapes out', async () => {
    const logs: string[] = [];
    const cap = 4;
    const held: ServerResponse[] = [];
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: 'warn', write: (line) => logs.push(line), rateLimit: false }),
      metrics: (request, response) => {
        if (request.url === '/metrics?hold') held.push(response);
        else response.end('netdiag_up 1\n');
      },
      connections: { maxConnections: cap },
    });
    const clients: RawClient[] = [];
    const open = async (): Promise<RawClient> => {
      const client = await RawClient.tcp(server.port);
      clients.push(client);
      return client;
    };
    try {
      // A scrape in flight on the oldest connection, then idle connections up to the cap.
      const scraping = await open();
      scraping.write('GET /metrics?hold HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(await eventually(() => held.length === 1, 5000));
      const idle = [await open(), await open(), await open()];
      assert.ok(await eventually(() => server.connectionStats().open === cap, 5000));

      // Hundreds more idle connections: each closes the oldest idle one, never the scrape in flight.
      const flood = await Promise.all(Array.from({ length: 200 }, () => open()));
      const scraper = await open();
      scraper.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(
        await eventually(() => scraper.received.includes('netdiag_up 1'), 5000),
        'a new scrape is served',
      );
      assert.match(scraper.received, /^HTTP\/1\.1 200 OK/);
      for (const client of [...idle, ...flood.slice(0, 150)])
        assert.ok(await client.closedWithin(5000), 'older idle connections were closed');
      assert.ok(server.connectionStats().open <= cap, `${server.connectionStats().open} open, cap ${cap}`);
      assert.ok(
        server.connectionStats().closed.evicted >= 200,
        `${server.connectionStats().closed.evicted} evicted`,
      );
      assert.equal(server.connectionStats().closed.refused, 0);

      held[0]?.end('held scrape\n');
      assert.ok(
        await eventually(() => scraping.received.includes('held scrape'), 5000),
        'the held scrape completes',
      );
      assert.match(
        logs.join('\n'),
        /oldest idle connection was closed" code=ERR_HTTP_CONNECTION_LIMIT max_connections=4/,
      );
    } finally {
      for (const client of clients) client.destroy();
      await server.close();
    }
  });

  it('refuses a new connection when every connection at the cap has a request in flight', async () => {
    const held: ServerResponse[] = [];
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => held.push(response),
      connections: { maxConnections: 2 },
    });
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const client = await RawClient.tcp(server.port);
        clients.push(client);
        client.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      }
      assert.ok(await eventually(() => held.length === 2, 5000));
      const extra = await RawClient.tcp(server.port);
      clients.push(extra);
      assert.ok(await extra.closedWithin(5000), 'the new connection is closed');
      assert.equal(extra.received, '');
      assert.deepEqual(
        [
          server.connectionStats().open,
          server.connectionStats().closed.evicted,
          server.connectionStats().closed.refused,
        ],
        [2, 0, 1],
      );
      for (const response of held) response.end('late\n');
      for (const client of clients.slice(0, 2))
        assert.ok(await eventually(() => client.received.includes('late'), 5000));
    } finally {
      for (const client of clients) client.destroy();
      await server.close();
    }
  });

  it('takes its cap from the descriptor limit by default', async () => {
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end(),
    });
    try {
      const expected = defaultMaxConnections(readDescriptorLimit());
      const clients = await Promise.all(
        Array.from({ length: expected + 1 }, () => RawClient.tcp(server.port)),
      );
      assert.ok(await eventually(() => clients.filter((c) => c.ended || c.isClosed).length === 1, 10_000));
      assert.equal(server.connectionStats().open, expected);
      for (const client of clients) client.destroy();
    } finally {
      await server.close();
    }
  });
});
