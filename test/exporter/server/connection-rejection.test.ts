import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { createLogger } from '../../../exporter/logging';
import { ExporterServer, type ConnectionLimits, type EndpointProtection } from '../../../exporter/server';
import { rejectionStatus } from '../../../exporter/server/connection-rejection';
import { requireTools } from '../../lab';
import { eventually, RawClient, sleep } from '../../support/raw-client';
import { makeCertificates, type TestCertificates } from '../../support/tls-certificates';

/** The first flight of a real TLS client, caught by a plain TCP server. */
async function captureClientHello(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const catcher = createNetServer((socket) =>
      socket.once('data', (data: Buffer) => {
        socket.destroy();
        catcher.close();
        resolve(data);
      }),
    );
    catcher.listen(0, '127.0.0.1', () => {
      const { port } = catcher.address() as AddressInfo;
      connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false }).on('error', () => {});
    });
    catcher.on('error', reject);
  });
}

/** Short timeouts so that each bound is seen in about a second; every assertion allows several times more. */
const FAST: Partial<ConnectionLimits> = {
  headersTimeoutMs: 800,
  requestTimeoutMs: 1600,
  timeoutCheckIntervalMs: 100,
  keepAliveTimeoutMs: 500,
  handshakeTimeoutMs: 800,
  rejectLingerMs: 500,
};

describe('connections of hostile clients are destroyed within their bound', () => {
  let certs: TestCertificates;
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(line), rateLimit: false });
  const clients: RawClient[] = [];

  before(() => {
    requireTools('openssl');
    certs = makeCertificates();
  });
  after(() => {
    for (const client of clients) client.destroy();
    certs?.remove();
  });

  function tlsProtection(): EndpointProtection {
    return {
      tls: { key: certs.read(certs.serverKey), cert: certs.read(certs.serverCert) },
      attach: () => {},
      admit: async () => true,
    };
  }

  async function serve(tls = false, connections = FAST): Promise<ExporterServer> {
    return ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      metrics: (_request, response) => response.end('netdiag_up 1\n'),
      connections,
      ...(tls && { protection: tlsProtection() }),
    });
  }

  async function tcp(server: ExporterServer): Promise<RawClient> {
    const client = await RawClient.tcp(server.port);
    clients.push(client);
    return client;
  }

  it('maps parser errors to status lines, and nothing else to one', () => {
    assert.equal(rejectionStatus('HPE_INVALID_METHOD'), '400 Bad Request');
    assert.equal(rejectionStatus('HPE_HEADER_OVERFLOW'), '431 Request Header Fields Too Large');
    assert.equal(rejectionStatus('ERR_HTTP_REQUEST_TIMEOUT'), '408 Request Timeout');
    assert.equal(rejectionStatus('ERR_TLS_HANDSHAKE_TIMEOUT'), undefined);
    assert.equal(rejectionStatus('ECONNRESET'), undefined);
    assert.equal(rejectionStatus(undefined), undefined);
  });

  it('answers garbage with 400 and destroys the connection though the client keeps its end open', async () => {
    const server = await serve();
    try {
      const client = await tcp(server);
      client.write('NOT HTTP AT ALL\r\n\r\n');
      // Counted on the server, without writing again: a later write would make any server drop it.
      assert.ok(
        await eventually(() => server.connectionStats().open === 0, 5000),
        'the server freed the connection',
      );
      assert.ok(await client.closedWithin(2000));
      assert.match(client.received, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(logs.join('\n'), /HTTP client refused.*code=HPE_INVALID_METHOD status="400 Bad Request"/);
    } finally {
      await server.close();
    }
  });

  it('answers headers too large with 431 and destroys the connection', async () => {
    const server = await serve();
    try {
      const client = await tcp(server);
      client.write(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.ok(
        await eventually(() => server.connectionStats().open === 0, 5000),
        'the server freed the connection',
      );
      assert.ok(await client.closedWithin(2000));
      assert.match(client.received, /^HTTP\/1\.1 431 /);
    } finally {
      await server.close();
    }
  });

  it('gives a client that never speaks 408 and destroys it after the headers timeout', async () => {
    const server = await serve();
    try {
      const client = await tcp(server);
      assert.ok(await client.closedWithin(5000), 'closed after the 0.8 s headers timeout');
      assert.match(client.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.equal(server.connectionStats().open, 0);
    } finally {
      await server.close();
    }
  });

  it('gives slowloris clients 408 and destroys them though they keep dripping header bytes', async () => {
    const server = await serve();
    try {
      const lorises = await Promise.all(Array.from({ length: 20 }, () => tcp(server)));
      const header = 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(1000);
      let sent = 0;
      const drip = setInterval(() => {
        for (const loris of lorises) loris.write(header[sent % header.length] ?? 'a');
        sent++;
      }, 50);
      try {
        const closed = await Promise.all(lorises.map((loris) => loris.closedWithin(6000)));
        assert.deepEqual(new Set(closed), new Set([true]), 'every slowloris connection was destroyed');
      } finally {
        clearInterval(drip);
      }
      for (const loris of lorises) assert.match(loris.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.equal(server.connectionStats().open, 0);
    } finally {
      await server.close();
    }
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const server = await serve();
    try {
      const client = await tcp(server);
      client.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(await eventually(() => client.received.includes('Healthy'), 5000));
      assert.ok(await client.closedWithin(5000));
      assert.equal(server.connectionStats().open, 0);
    } finally {
      await server.close();
    }
  });

  it('destroys a connection whose client stops reading its response, after the idle timeout', async () => {
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      // 64 MiB: more than the socket buffers of both ends hold.
      metrics: (_request, response) => response.end(Buffer.alloc(64 * 1024 * 1024, 'a')),
      connections: { ...FAST, idleTimeoutMs: 500 },
    });
    try {
      const client = await tcp(server);
      client.socket.pause();
      client.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(
        await eventually(() => server.connectionStats().open === 0, 5000),
        'the server freed the connection',
      );
      assert.equal(server.connectionStats().closed.timeout, 1);
      assert.match(logs.join('\n'), /code=ERR_HTTP_IDLE_TIMEOUT idle_timeout_ms=500/);
    } finally {
      await server.close();
    }
  });

  it('destroys a TLS connection whose handshake never comes, after the handshake timeout', async () => {
    const server = await serve(true);
    try {
      const silent = await tcp(server);
      const partial = await tcp(server);
      // The first bytes of a TLS record header, then nothing.
      partial.write('\x16\x03\x01');
      const closed = await Promise.all([silent.closedWithin(5000), partial.closedWithin(5000)]);
      assert.deepEqual(closed, [true, true]);
      assert.equal(silent.received, '');
      assert.ok(await eventually(() => server.connectionStats().open === 0, 2000));
      assert.match(logs.join('\n'), /code=ERR_TLS_HANDSHAKE_TIMEOUT status=none/);
    } finally {
      await server.close();
    }
  });

  it('destroys a TLS client dripping its ClientHello a byte at a time, at the handshake deadline', async () => {
    const server = await serve(true);
    try {
      const hello = await captureClientHello();
      const client = await tcp(server);
      let sent = 0;
      const drip = setInterval(() => {
        if (sent < hello.length - 1) client.socket.write(hello.subarray(sent, ++sent));
      }, 100);
      try {
        assert.ok(await client.closedWithin(5000), 'destroyed though bytes kept coming');
      } finally {
        clearInterval(drip);
      }
      assert.ok(sent < hello.length - 1, `${sent} of ${hello.length} bytes sent: cut mid-handshake`);
      assert.ok(await eventually(() => server.connectionStats().open === 0, 2000));
    } finally {
      await server.close();
    }
  });

  it('gives a TLS slowloris 408 and destroys it', async () => {
    const server = await serve(true);
    try {
      const client = await RawClient.tls(server.port, certs.read(certs.caCert));
      clients.push(client);
      client.write('GET /metrics HTTP/1.1\r\n');
      const drip = setInterval(() => client.write('X'), 50);
      try {
        assert.ok(await eventually(() => client.isClosed || client.ended, 5000));
      } finally {
        clearInterval(drip);
      }
      assert.match(client.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      await sleep(100);
      assert.ok(await eventually(() => server.connectionStats().open === 0, 3000));
    } finally {
      await server.close();
    }
  });
  it('over HTTPS at the cap: a handshaking connection makes room, and a refused one breaks nothing', async () => {
    const held: ServerResponse[] = [];
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      metrics: (request, response) => {
        if (request.url === '/metrics?hold') held.push(response);
        else response.end('netdiag_up 1\n');
      },
      connections: { ...FAST, handshakeTimeoutMs: 60_000, maxConnections: 1 },
      protection: tlsProtection(),
    });
    try {
      const handshaking = await tcp(server);
      const ca = certs.read(certs.caCert);
      const scraper = await RawClient.tls(server.port, ca);
      clients.push(scraper);
      assert.ok(await handshaking.closedWithin(5000), 'the handshaking connection made room');
      scraper.write('GET /metrics?hold HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(await eventually(() => held.length === 1, 5000));
      const refused = await tcp(server);
      assert.ok(await refused.closedWithin(5000), 'refused: the only connection has a request in flight');
      held[0]?.end('held scrape\n');
      assert.ok(await eventually(() => scraper.received.includes('held scrape'), 5000));
      assert.deepEqual(
        [
          server.connectionStats().open,
          server.connectionStats().closed.evicted,
          server.connectionStats().closed.refused,
        ],
        [1, 1, 1],
      );
    } finally {
      await server.close();
    }
  });
});
