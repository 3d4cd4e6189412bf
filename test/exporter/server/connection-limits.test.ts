import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
    assert.equal(connectionLimits({ maxConnections: undefined }).headersTimeoutMs, 10_000);
  });

  it('closes the connection over the cap at once and keeps serving the connections it holds', async () => {
    const logs: string[] = [];
    const cap = 4;
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: createLogger({ level: 'warn', write: (line) => logs.push(line) }),
      metrics: (_request, response) => response.end('netdiag_up 1\n'),
      connections: { maxConnections: cap },
    });
    const clients: RawClient[] = [];
    try {
      // One scraper on a keep-alive connection, then idle connections up to the cap.
      const scraper = await RawClient.tcp(server.port);
      clients.push(scraper);
      scraper.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(await eventually(() => scraper.received.includes('netdiag_up 1'), 5000));
      for (let i = 1; i < cap; i++) clients.push(await RawClient.tcp(server.port));
      assert.ok(await eventually(() => server.connections.open === cap, 5000));

      const extra = await RawClient.tcp(server.port);
      clients.push(extra);
      assert.ok(await extra.closedWithin(5000), 'the connection over the cap is closed');
      assert.equal(extra.received, '');
      assert.equal(server.connections.refused, 1);
      assert.equal(server.connections.open, cap);

      scraper.received = '';
      scraper.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(await eventually(() => scraper.received.includes('netdiag_up 1'), 5000));
      assert.match(scraper.received, /^HTTP\/1\.1 200 OK/);
      assert.match(logs.join('\n'), /code=ERR_HTTP_CONNECTION_LIMIT max_connections=4/);
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
      assert.equal(server.connections.open, expected);
      for (const client of clients) client.destroy();
    } finally {
      await server.close();
    }
  });
});
