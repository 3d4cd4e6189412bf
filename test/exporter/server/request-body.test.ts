import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../exporter/logging';
import { ExporterServer } from '../../../exporter/server';
import { eventually, RawClient } from '../../support/raw-client';

const MiB = 1024 * 1024;

/**
 * Writes `head`, then up to `total` body bytes (`chunked` framing or raw), waiting for each write to
 * be taken by the kernel; stops when the server closes. Returns the body bytes the kernel took.
 */
async function sendBody(client: RawClient, head: string, total: number, chunked: boolean): Promise<number> {
  client.write(head);
  const piece = Buffer.alloc(256 * 1024, 'a');
  const frame = chunked
    ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
    : piece;
  let taken = 0;
  while (taken < total && !client.isClosed && !client.ended) {
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000);
      client.socket.write(frame, (error) => {
        clearTimeout(timer);
        resolve(!error);
      });
    });
    if (!ok) break;
    taken += piece.length;
  }
  return taken;
}

describe('request bodies are refused without being read', () => {
  async function serve(reloads: { count: number }): Promise<ExporterServer> {
    return ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end('netdiag_up 1\n'),
      reload: async () => {
        reloads.count++;
        return { ok: true, message: 'config reloaded' };
      },
    });
  }

  for (const chunked of [true, false]) {
    it(`a 100 MiB ${chunked ? 'chunked' : 'Content-Length'} POST to /-/reload gets 413 and the connection closes`, async () => {
      const reloads = { count: 0 };
      const server = await serve(reloads);
      try {
        const client = await RawClient.tcp(server.port);
        const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${100 * MiB}`;
        const taken = await sendBody(
          client,
          `POST /-/reload HTTP/1.1\r\nHost: x\r\n${framing}\r\n\r\n`,
          100 * MiB,
          chunked,
        );
        assert.ok(await eventually(() => client.isClosed || client.ended, 5000));
        assert.match(client.received, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
        assert.match(client.received, /\r\nConnection: close\r\n/i);
        assert.equal(reloads.count, 0, 'no reload for a refused request');
        // What the kernel buffers of both sockets hold, not the 100 MiB sent.
        assert.ok(taken < 16 * MiB, `the client got ${taken} bytes of 100 MiB out`);
        client.destroy();
        assert.ok(await eventually(() => server.connectionStats().open === 0, 2000));
      } finally {
        await server.close();
      }
    });
  }

  it('a GET with a body gets 413; Expect: 100-continue is refused before the body is sent', async () => {
    const reloads = { count: 0 };
    const server = await serve(reloads);
    try {
      const get = await RawClient.tcp(server.port);
      const taken = await sendBody(
        get,
        'GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
        50 * MiB,
        true,
      );
      assert.ok(await eventually(() => get.isClosed || get.ended, 5000));
      assert.match(get.received, /^HTTP\/1\.1 413 /);
      assert.ok(taken < 16 * MiB, `the client got ${taken} bytes of 50 MiB out`);

      const expecting = await RawClient.tcp(server.port);
      expecting.write(
        `POST /-/reload HTTP/1.1\r\nHost: x\r\nContent-Length: ${4 * 1024 * MiB}\r\nExpect: 100-continue\r\n\r\n`,
      );
      assert.ok(await eventually(() => expecting.isClosed || expecting.ended, 5000));
      assert.match(expecting.received, /^HTTP\/1\.1 413 /);
      assert.doesNotMatch(expecting.received, /100 Continue/);
      assert.equal(reloads.count, 0);

      // An empty body is no body.
      const empty = await fetch(`${server.url}/-/reload`, { method: 'POST', body: '' });
      assert.equal(empty.status, 200);
      assert.equal(reloads.count, 1);
      get.destroy();
      expecting.destroy();
    } finally {
      await server.close();
    }
  });
});
