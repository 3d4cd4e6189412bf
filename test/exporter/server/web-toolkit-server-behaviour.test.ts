// exporter-toolkit's TestServerBehaviour (web/tls_config_test.go), case by case: each upstream case in
// our own words, against a real server, with upstream's outcome, or ours where we differ on purpose
// (each such case says why). Upstream's "WebConfig:" twins run the same file through its Go API
// instead of a path: there is no such API here, so they have no case of their own. Our certificates
// are ECDSA (P-256) where upstream's are RSA: the TLS 1.2 suites named are the ECDSA twins of upstream's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ConfigError } from '../../../exporter/config';
import { createLogger } from '../../../exporter/logging';
import { ExporterServer, WebProtection } from '../../../exporter/server';
import { requireTools } from '../../lab';
import { makeCertificates, type TestCertificates } from '../../support/tls-certificates';

const logger = createLogger({ level: 'error', write: () => {} });
const BODY = 'Hello World!';

/** What a request got: the status, body and TLS suite, or the client's error: its code and OpenSSL's reason (`EPROTO` alone says little). */
type Outcome = { status: number; body: string; cipher?: string } | { error: string };

const tlsFiles = (extra = ''): string =>
  `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`;
const someCiphers = (order: boolean): string =>
  tlsFiles(
    `  client_auth_type: VerifyClientCertIfGiven\n  cipher_suites:\n    - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n  min_version: TLS12\n  max_version: TLS12\n${order ? '' : '  prefer_server_cipher_suites: false\n'}`,
  );
const someCurves = tlsFiles('  curve_preferences:\n    - CurveP521\n  min_version: TLS13\n');
const noHttp2Ciphers = (http2: boolean): string =>
  tlsFiles(
    '  cipher_suites:\n    - TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n  max_version: TLS12\n' +
      (http2 ? '' : 'http_server_config:\n  http2: false\n'),
  );

describe("exporter-toolkit's TestServerBehaviour, case by case", () => {
  let certs: TestCertificates;
  let counter = 0;
  const servers: ExporterServer[] = [];

  before(() => {
    requireTools('openssl');
    certs = makeCertificates();
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    certs?.remove();
  });

  async function serve(webConfig: string | null): Promise<ExporterServer> {
    let protection: WebProtection | undefined;
    if (webConfig !== null) {
      const file = path.join(certs.dir, `behaviour-${++counter}.yml`);
      writeFileSync(file, webConfig);
      protection = await WebProtection.load({ file, logger });
    }
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      metrics: (_request, response) => response.end(BODY),
      ...(protection && { protection }),
    });
    servers.push(server);
    return server;
  }

  /** GET /metrics over HTTP or HTTPS (trusting the test CA), with TLS options for the client. */
  function get(
    server: ExporterServer,
    scheme: 'http' | 'https',
    options: RequestOptions = {},
  ): Promise<Outcome> {
    const url = `${scheme}://127.0.0.1:${server.port}/metrics`;
    const send = scheme === 'https' ? httpsRequest : httpRequest;
    const tlsDefaults = scheme === 'https' ? { ca: certs.read(certs.caCert), servername: 'localhost' } : {};
    return new Promise((resolve) => {
      const req = send(url, { agent: false, ...tlsDefaults, ...options }, (response) => {
        const socket = response.socket as Partial<TLSSocket>;
        const cipher = socket.getCipher?.().standardName;
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body, ...(cipher && { cipher }) }),
        );
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ error: `${error.code ?? ''} ${error.message}` }),
      );
      req.end();
    });
  }

  const served = (outcome: Outcome, cipher?: string): void => {
    assert.ok(!('error' in outcome), `refused: ${JSON.stringify(outcome)}`);
    assert.deepEqual([outcome.status, outcome.body], [200, BODY]);
    if (cipher !== undefined) assert.equal(outcome.cipher, cipher);
  };
  const failed = (outcome: Outcome, code: RegExp): void => {
    assert.ok('error' in outcome, `served: ${JSON.stringify(outcome)}`);
    assert.match(outcome.error, code);
  };
  /** A TLS handshake the server ended with an alert (not one the client gave up before sending). */
  const HANDSHAKE_FAILURE = /alert handshake failure|alert insufficient security/;

  it('empty string YAMLConfigPath and default client: served over HTTP', async () => {
    served(await get(await serve(null), 'http'));
  });

  it('empty string YAMLConfigPath and TLS client: no TLS spoken back', async () => {
    failed(
      await get(await serve(null), 'https'),
      /ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)|EPROTO/,
    );
  });

  it('valid tls config yml and default client: 400, an HTTP request to an HTTPS server', async () => {
    const outcome = await get(await serve(tlsFiles()), 'http');
    assert.ok(!('error' in outcome), JSON.stringify(outcome));
    assert.equal(outcome.status, 400);
    assert.match(outcome.body, /Client sent an HTTP request to an HTTPS server/);
  });

  it('valid tls config yml and tls client: served', async () => {
    served(await get(await serve(tlsFiles()), 'https'));
  });

  it('valid tls config yml (cert and key inline) and tls client: served', async () => {
    const indent = (pem: Buffer): string =>
      pem
        .toString()
        .trim()
        .split('\n')
        .map((line) => `    ${line}`)
        .join('\n');
    const inline = `tls_server_config:\n  cert: |\n${indent(certs.read(certs.serverCert))}\n  key: |\n${indent(certs.read(certs.serverKey))}\n`;
    served(await get(await serve(inline), 'https'));
  });

  it('valid tls config yml with TLS 1.1 client: refused by the server (protocol version)', async () => {
    const outcome = await get(await serve(tlsFiles()), 'https', {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    failed(outcome, /alert protocol version/);
  });

  it('valid tls config yml with all ciphers: served', async () => {
    const all = [
      'TLS_AES_128_GCM_SHA256',
      'TLS_AES_256_GCM_SHA384',
      'TLS_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
      'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    ];
    served(
      await get(
        await serve(tlsFiles(`  cipher_suites:\n${all.map((s) => `    - ${s}\n`).join('')}`)),
        'https',
      ),
    );
  });

  it('valid tls config yml with some ciphers: a client offering one of them is served with it', async () => {
    const server = await serve(someCiphers(true));
    served(
      await get(server, 'https', { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    );
  });

  it('valid tls config yml with no common cipher: handshake failure', async () => {
    const server = await serve(someCiphers(true));
    failed(
      await get(server, 'https', { ciphers: 'ECDHE-ECDSA-AES256-SHA', maxVersion: 'TLSv1.2' }),
      HANDSHAKE_FAILURE,
    );
  });

  it('valid tls config yml with multiple client ciphers: the server picks AES-128-GCM', async () => {
    const server = await serve(someCiphers(true));
    const ciphers = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256';
    served(await get(server, 'https', { ciphers }), 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  });

  it('valid tls config yml with multiple client ciphers, client chooses cipher: AES-128-GCM', async () => {
    const server = await serve(someCiphers(false));
    const ciphers = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384';
    served(await get(server, 'https', { ciphers }), 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  });

  it('valid tls config yml with all curves: served', async () => {
    const curves = tlsFiles(
      '  curve_preferences:\n    - CurveP256\n    - CurveP384\n    - CurveP521\n    - X25519\n',
    );
    served(await get(await serve(curves), 'https'));
  });

  it('valid tls config yml with some curves: a client on P-521 is served', async () => {
    served(await get(await serve(someCurves), 'https', { ecdhCurve: 'P-521' }));
  });

  it('valid tls config yml with no common curves: handshake failure', async () => {
    failed(await get(await serve(someCurves), 'https', { ecdhCurve: 'P-384' }), HANDSHAKE_FAILURE);
  });

  it('valid tls config yml with non-http2 ciphers (http2: false): served', async () => {
    const server = await serve(noHttp2Ciphers(false));
    served(await get(server, 'https', { maxVersion: 'TLSv1.2' }), 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA');
  });

  it('valid tls config yml with non-http2 ciphers but http2 enabled: OURS DIFFERS, served', async () => {
    // Upstream refuses to start: Go's HTTP/2 needs an AES-128-GCM suite. This server speaks HTTP/1.1
    // only (`http2` is read and ignored, README "Web configuration"), so no suite is required by it.
    const server = await serve(noHttp2Ciphers(true));
    served(await get(server, 'https', { maxVersion: 'TLSv1.2' }), 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA');
  });

  it('valid headers config: served with the headers', async () => {
    const server = await serve(
      'http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n    X-XSS-Protection: 1\n    Strict-Transport-Security: max-age=31536000\n',
    );
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(response.status, 200);
    assert.deepEqual(
      ['x-frame-options', 'x-content-type-options', 'x-xss-protection', 'strict-transport-security'].map(
        (h) => response.headers.get(h),
      ),
      ['deny', 'nosniff', '1', 'max-age=31536000'],
    );
  });

  for (const [name, text, words] of [
    [
      'invalid X-Content-Type-Options headers config',
      'X-Content-Type-Options: sniff',
      /"sniff" is not one of nosniff/,
    ],
    [
      'invalid X-Frame-Options headers config',
      'X-Frame-Options: allowall',
      /"allowall" is not one of deny, sameorigin/,
    ],
    ['HTTP header that can not be overridden', 'Content-Type: text/plain', /Content-Type/],
  ] as const) {
    it(`${name}: refused at load`, async () => {
      const error = await serve(`http_server_config:\n  headers:\n    ${text}\n`).then(
        () => assert.fail('loaded'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, words);
    });
  }

  it('valid tls config yml and tls client with RequireAnyClientCert (present certificate): served, self-signed too', async () => {
    const server = await serve(tlsFiles('  client_auth_type: RequireAnyClientCert\n'));
    served(
      await get(server, 'https', {
        cert: certs.read(certs.strangerCert),
        key: certs.read(certs.strangerKey),
      }),
    );
  });

  it('valid tls config yml and tls client with RequireAndVerifyClientCert (present certificate): served', async () => {
    const server = await serve(
      tlsFiles('  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n'),
    );
    served(
      await get(server, 'https', { cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) }),
    );
  });

  const sanConfig = (list: string): string =>
    tlsFiles(
      `  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n  client_allowed_sans: ${list}\n`,
    );

  it('tls client with VerifyPeerCertificate (present good SAN DNS entry): served', async () => {
    const client = certs.signClient('behaviour-san', 'DNS:good.example');
    const server = await serve(sanConfig('[good.example]'));
    served(await get(server, 'https', { cert: certs.read(client.cert), key: certs.read(client.key) }));
  });

  it('tls client with VerifyPeerCertificate (present invalid SAN DNS entries): refused', async () => {
    const client = certs.signClient('behaviour-san-bad', 'DNS:good.example');
    const server = await serve(sanConfig('[bad1.example, bad2.example]'));
    failed(await get(server, 'https', { cert: certs.read(client.cert), key: certs.read(client.key) }), /./);
  });

  it("valid rate limiter (no rate limiter set up) that doesn't block: 11 requests served", async () => {
    const server = await serve('rate_limit:\n  interval: 0\n  burst: 0\n');
    for (let i = 0; i <= 10; i++) served(await get(server, 'http'));
  });

  it('valid rate limiter with an interval of one second: OURS DIFFERS, refused at load', async () => {
    // Upstream serves 429 to every request (a burst of 0 never holds a token); a config that can only
    // refuse is refused here as the mistake it is, naming the key.
    const error = await serve('rate_limit:\n  interval: 1s\n  burst: 0\n').then(
      () => assert.fail('loaded'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, /burst must be at least 1/);
    // What upstream's case shows, a limit reached, with a burst that can pass anything: 429 within 11 requests.
    const server = await serve('rate_limit:\n  interval: 1s\n  burst: 1\n');
    const statuses: number[] = [];
    for (let i = 0; i <= 10; i++) {
      const outcome = await get(server, 'http');
      statuses.push('error' in outcome ? 0 : outcome.status);
    }
    assert.equal(statuses[0], 200);
    assert.ok(statuses.includes(429), statuses.join(' '));
  });
});
