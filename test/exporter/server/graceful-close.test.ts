import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { createLogger } from '../../../exporter/logging';
import { ExporterServer, type EndpointProtection } from '../../../exporter/server';
import { requireTools } from '../../lab';
import { eventually, RawClient } from '../../support/raw-client';
import { makeCertificates, type TestCertificates } from '../../support/tls-certificates';

describe('ExporterServer.close() resolves within closeTimeout whatever the clients do', () => {
  let certs: TestCertificates;
  const clients: RawClient[] = [];
  const logs: string[] = [];

  before(() => {
    requireTools('openssl');
    certs = makeCertificates();
  });
  after(() => {
    for (const client of clients) client.destroy();
    certs?.remove();
  });

  for (const tls of [false, true]) {
    it(`over ${tls ? 'HTTPS' : 'HTTP'}: idle, half-sent, handshaking, unread and hung requests`, async () => {
      const hung: ServerResponse[] = [];
      const protection: EndpointProtection = {
        tls: { key: certs.read(certs.serverKey), cert: certs.read(certs.serverCert) },
        attach: () => {},
        admit: async () => true,
      };
      // Every timeout far beyond the close deadline: only close() can end these connections.
      const server = await ExporterServer.listen({
        listen: { host: '127.0.0.1', port: 0 },
        logger: createLogger({ level: 'warn', write: (line) => logs.push(line), rateLimit: false }),
        metrics: (request, response) => {
          if (request.url === '/metrics?hang') hung.push(response);
          // 64 MiB: more than the socket buffers hold for a client that does not read.
          else response.end(Buffer.alloc(64 * 1024 * 1024, 'a'));
        },
        connections: {
          closeTimeoutMs: 1000,
          headersTimeoutMs: 60_000,
          requestTimeoutMs: 60_000,
          keepAliveTimeoutMs: 60_000,
          handshakeTimeoutMs: 60_000,
        },
        ...(tls && { protection }),
      });
      const open = async (): Promise<RawClient> => {
        const client = tls
          ? await RawClient.tls(server.port, certs.read(certs.caCert))
          : await RawClient.tcp(server.port);
        clients.push(client);
        return client;
      };
      const handshaking = await RawClient.tcp(server.port); // on HTTPS: never sends a ClientHello
      clients.push(handshaking);
      const idle = await open();
      idle.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n');
      const halfSent = await open();
      halfSent.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
      const unread = await open();
      unread.socket.pause();
      unread.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
      const hanging = await open();
      hanging.write('GET /metrics?hang HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.ok(await eventually(() => hung.length === 1 && idle.received.includes('Healthy'), 5000));
      assert.equal(server.connectionStats().open, 5);

      const started = Date.now();
      let resolvedAfter = -1;
      const closed = server.close().then(() => (resolvedAfter = Date.now() - started));
      // Nothing in flight on these: closed at once, not at the deadline.
      assert.ok(
        await eventually(() => [handshaking, idle, halfSent].every((c) => c.ended || c.isClosed), 900),
      );
      assert.equal(resolvedAfter, -1, 'still waiting for the requests in flight');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
      assert.ok(resolvedAfter >= 0, 'close() resolved');
      assert.ok(resolvedAfter < 4000, `close() resolved after ${resolvedAfter} ms, deadline 1000 ms`);
      assert.ok(await eventually(() => server.connectionStats().open === 0, 1000));
      // The client that did not read sees the end once it reads what the kernel had already taken.
      unread.socket.resume();
      assert.ok(await eventually(() => unread.isClosed || unread.ended, 5000));
      assert.ok(await eventually(() => hanging.isClosed || hanging.ended, 2000));
      // Only the hung handler was left at the deadline: node:http counts a response whose end() was
      // called (the unread one) as finished, and closes its connection with the idle ones.
      assert.match(logs.join('\n'), /code=ERR_HTTP_CLOSE_TIMEOUT connections=1 close_timeout_ms=1000/);
    });
  }
});
