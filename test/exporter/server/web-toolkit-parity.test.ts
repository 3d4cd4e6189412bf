import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { request, type RequestOptions } from 'node:https';
import * as path from 'node:path';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { createLogger } from '../../../exporter/logging';
import { ExporterServer, WebProtection } from '../../../exporter/server';
import { TokenBucket } from '../../../exporter/server/rate-limit';
import { requireTools } from '../../lab';
import { makeCertificates, type TestCertificates } from '../../support/tls-certificates';

// Cases from exporter-toolkit's web tests (web/tls_config_test.go, rate_limit_test.go, san_test.go
// and web/testdata), each with upstream's expected outcome.

interface Reply {
  status: number;
  body: string;
  cipher: string;
}

describe('exporter-toolkit parity of --web.config.file', () => {
  let certs: TestCertificates;
  let counter = 0;
  const logger = createLogger({ level: 'error', write: () => {} });
  const servers: ExporterServer[] = [];

  before(() => {
    requireTools('openssl');
    certs = makeCertificates();
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    certs?.remove();
  });

  const tls = (extra = ''): string =>
    `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`;

  async function serve(webConfig: string): Promise<ExporterServer> {
    const file = path.join(certs.dir, `parity-${++counter}.yml`);
    writeFileSync(file, webConfig);
    const protection = await WebProtection.load({ file, logger });
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      metrics: (_request, response) => response.end('netdiag_up 1\n'),
      protection,
    });
    servers.push(server);
    return server;
  }

  function get(url: string, options: RequestOptions = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(url, { ca: certs.read(certs.caCert), agent: false, ...options }, (response) => {
        const cipher = (response.socket as TLSSocket).getCipher().standardName;
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, cipher }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  describe('rate_limit: one token bucket for the whole server', () => {
    it('rate_limit { interval: 1h, burst: 1 }: the first request passes, the next get 429 whoever sends them', async () => {
      const server = await serve('rate_limit:\n  interval: 1h\n  burst: 1\n');
      const first = await fetch(`${server.url}/-/healthy`);
      assert.equal(first.status, 200);
      // A new connection, a new path: the bucket is the server's, not the connection's nor the path's.
      const second = await fetch(`${server.url}/metrics`, { headers: { connection: 'close' } });
      assert.equal(second.status, 429);
      assert.equal(await second.text(), 'Too Many Requests\n');
    });

    it('is checked before basic auth, as upstream: a refused request is 429, not 401', async () => {
      const hash = '$2b$04$abcdefghijklmnopqrstuu5PyLwmC0VAvMrXfy6W9XIHz2DUWu3zu';
      const server = await serve(
        `rate_limit: { interval: 1h, burst: 2 }\nbasic_auth_users:\n  a: '${hash}'\n`,
      );
      assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 429);
    });

    it('follows a changed rate_limit on re-read (upstream TestRateLimitIsReloaded); an unchanged one keeps its bucket', async () => {
      const file = path.join(certs.dir, `parity-${++counter}.yml`);
      const limited = 'rate_limit:\n  interval: 1h\n  burst: 1\n';
      writeFileSync(file, limited);
      const protection = await WebProtection.load({ file, logger, checkIntervalMs: 0 });
      const server = await ExporterServer.listen({
        listen: { host: '127.0.0.1', port: 0 },
        logger,
        metrics: (_request, response) => response.end('ok\n'),
        protection,
      });
      servers.push(server);
      const status = async (): Promise<number> => (await fetch(`${server.url}/-/healthy`)).status;
      // A request starts a re-read in the background: the first refresh() may return that one, begun
      // before the write; the second starts after it.
      const reread = async (): Promise<void> => {
        await protection.refresh();
        await protection.refresh();
      };
      assert.deepEqual([await status(), await status()], [200, 429]);
      // Touched but the same rate_limit: the spent bucket stays spent.
      writeFileSync(file, `${limited}# touched\n`);
      await reread();
      assert.equal(await status(), 429);
      writeFileSync(file, 'http_server_config:\n  http2: true\n');
      await reread();
      assert.deepEqual([await status(), await status()], [200, 200], 'rate_limit removed');
      writeFileSync(file, limited);
      await reread();
      assert.deepEqual([await status(), await status()], [200, 429], 'back, with a fresh burst');
    });

    it('TokenBucket: starts full, earns one token per interval up to burst (golang.org/x/time/rate)', () => {
      let now = 0;
      const bucket = new TokenBucket(2, 3, () => now);
      assert.deepEqual(
        [bucket.take(), bucket.take(), bucket.take(), bucket.take()],
        [true, true, true, false],
      );
      now += 1999;
      assert.equal(bucket.take(), false);
      now += 1;
      assert.deepEqual([bucket.take(), bucket.take()], [true, false]);
      now += 3_600_000;
      assert.deepEqual(
        [bucket.take(), bucket.take(), bucket.take(), bucket.take()],
        [true, true, true, false],
      );
    });
  });

  describe('client_allowed_sans', () => {
    const sans = (list: string): string =>
      tls(
        `  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n  client_allowed_sans: ${list}\n`,
      );
    const outcome = (url: string, client: { cert: string; key: string }): Promise<number | string> =>
      get(url, { cert: certs.read(client.cert), key: certs.read(client.key) }).then(
        (reply) => reply.status,
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      );

    it('web_config_auth_client_san.good: a client whose certificate has a listed SAN is served', async () => {
      const client = certs.signClient('san-good', 'DNS:good.example,URI:spiffe://cluster/prometheus');
      const dns = await serve(sans('[other.example, good.example]'));
      assert.equal(await outcome(`${dns.url}/-/healthy`, client), 200);
      const uri = await serve(sans('["spiffe://cluster/prometheus"]'));
      assert.equal(await outcome(`${uri.url}/-/healthy`, client), 200);
    });

    it("IP SANs compare in Go's text form (::1, not 0:0:0:0:0:0:0:1)", async () => {
      const client = certs.signClient('san-ip', 'IP:::1,email:prom@example.net');
      const server = await serve(sans('["::1"]'));
      assert.equal(await outcome(`${server.url}/-/healthy`, client), 200);
      const email = await serve(sans('[prom@example.net]'));
      assert.equal(await outcome(`${email.url}/-/healthy`, client), 200);
    });

    it('web_config_auth_client_san.bad: a certificate without a listed SAN is refused, as is one without SANs', async () => {
      const client = certs.signClient('san-bad', 'DNS:good.example');
      const server = await serve(sans('[bad]'));
      const url = `${server.url}/-/healthy`;
      assert.notEqual(await outcome(url, client), 200);
      // Signed by the CA but with no SAN at all.
      assert.notEqual(await outcome(url, { cert: certs.clientCert, key: certs.clientKey }), 200);
      // The CA check still comes first.
      assert.notEqual(await outcome(url, { cert: certs.strangerCert, key: certs.strangerKey }), 200);
    });
  });

  describe('plain HTTP to the HTTPS port', () => {
    /** Sends `text` on a raw TCP connection and collects everything until the server closes it. */
    const exchange = (port: number, text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connectTcp(port, '127.0.0.1', () => socket.write(text));
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });

    it('answers Go\'s 400 "Client sent an HTTP request to an HTTPS server." and closes, for each method Go knows', async () => {
      const server = await serve(tls());
      for (const start of ['GET /-/healthy', 'HEAD /', 'POST /-/reload', 'PUT /x', 'OPTIONS *']) {
        const answer = await exchange(server.port, `${start} HTTP/1.1\r\nHost: x\r\n\r\n`);
        assert.equal(
          answer,
          'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n',
          start,
        );
      }
    });

    it('a request split across packets is still recognised; TLS clients are served on the same port', async () => {
      const server = await serve(tls());
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connectTcp(server.port, '127.0.0.1', () => {
          socket.write('GE');
          setTimeout(() => socket.write('T / HTTP/1.1\r\n\r\n'), 50);
        });
        let received = '';
        socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      assert.match(answer, /^HTTP\/1\.0 400 Bad Request\r\n/);
      assert.equal((await get(`${server.url}/-/healthy`)).status, 200);
    });

    it('anything else is left to TLS, which refuses it without an HTTP answer', async () => {
      const server = await serve(tls());
      assert.equal(await exchange(server.port, 'BREW / HTCPCP/1.0\r\n\r\n'), '');
    });
  });

  describe("TLS 1.2 cipher suite: Go's preference order wins", () => {
    // Listed in neither Go's order nor the client's.
    const suites = tls(
      '  max_version: TLS12\n  cipher_suites:\n    - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n',
    );
    const handshake = (port: number, ciphers: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connectTls(
          { host: '127.0.0.1', port, ca: certs.read(certs.caCert), ciphers, maxVersion: 'TLSv1.2' },
          () => {
            resolve(socket.getCipher().standardName);
            socket.destroy();
          },
        );
        socket.on('error', reject);
      });

    it("a client offering the suites in the opposite order gets Go's pick: AES-128-GCM", async () => {
      const server = await serve(suites);
      const reversed = [
        'ECDHE-ECDSA-AES128-SHA',
        'ECDHE-ECDSA-AES256-GCM-SHA384',
        'ECDHE-ECDSA-CHACHA20-POLY1305',
        'ECDHE-ECDSA-AES128-GCM-SHA256',
      ].join(':');
      assert.equal(await handshake(server.port, reversed), 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      // Without AES-128-GCM, the next of Go's order: AES-256-GCM before ChaCha20 and CBC.
      assert.equal(
        await handshake(
          server.port,
          'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305',
        ),
        'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      );
      assert.equal(
        await handshake(server.port, 'ECDHE-ECDSA-AES128-SHA'),
        'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
      );
    });

    it('a client that puts ChaCha20-Poly1305 first gets it, as Go (cipherSuitesPreferenceOrderNoAES)', async () => {
      const server = await serve(suites);
      assert.equal(
        await handshake(server.port, 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256'),
        'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
      );
    });
  });
});
