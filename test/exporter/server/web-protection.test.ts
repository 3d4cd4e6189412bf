import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { hashSync } from 'bcryptjs';
import { ConfigError, formatIssue } from '../../../exporter/config';
import { createLogger } from '../../../exporter/logging';
import { ExporterServer, readTlsMaterial, parseWebConfig, WebProtection } from '../../../exporter/server';
import { requireTools } from '../../lab';
import { makeCertificates, type TestCertificates } from '../../support/tls-certificates';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  protocol: string | null;
  cipher: string;
  fingerprint: string;
}

const PASSWORD = 'scrape-me';
const HASH = hashSync(PASSWORD, 4);

describe('WebProtection: TLS and basic auth in front of ExporterServer', () => {
  let certs: TestCertificates;
  let counter = 0;
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const servers: ExporterServer[] = [];

  before(() => {
    requireTools('openssl');
    certs = makeCertificates();
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
    certs?.remove();
  });

  function writeWebConfig(text: string, name = `web-${++counter}.yml`): string {
    const file = path.join(certs.dir, name);
    writeFileSync(file, text);
    return file;
  }

  async function serve(webConfig: string, checkIntervalMs?: number): Promise<ExporterServer> {
    const file = writeWebConfig(webConfig);
    const protection = await WebProtection.load({
      file,
      logger,
      ...(checkIntervalMs !== undefined && { checkIntervalMs }),
    });
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      metrics: (_request, response) => response.end('netdiag_up 1\n'),
      reload: async () => ({ ok: true, message: 'config reloaded' }),
      protection,
    });
    servers.push(server);
    return server;
  }

  /** One request on a new connection, trusting the test CA unless told otherwise. */
  function get(url: string, options: RequestOptions = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(url, { ca: certs.read(certs.caCert), agent: false, ...options }, (response) => {
        const socket = response.socket as TLSSocket;
        const protocol = socket.getProtocol();
        const cipher = socket.getCipher().standardName;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            protocol,
            cipher,
            fingerprint,
          }),
        );
        response.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  const tlsOnly = (extra = ''): string =>
    `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`;

  it('serves HTTPS; every endpoint needs the password; headers on every answer', async () => {
    const server = await serve(
      `${tlsOnly()}http_server_config:\n  headers: { X-Frame-Options: deny, X-Content-Type-Options: nosniff }\nbasic_auth_users:\n  prometheus: '${HASH}'\n`,
    );
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const auth = `prometheus:${PASSWORD}`;
    const metrics = await get(`${server.url}/metrics`, { auth });
    assert.equal(metrics.status, 200);
    assert.equal(metrics.body, 'netdiag_up 1\n');
    assert.equal(metrics.headers['x-frame-options'], 'deny');
    assert.equal(metrics.headers['x-content-type-options'], 'nosniff');
    assert.equal((await get(`${server.url}/-/healthy`, { auth })).status, 200);
    assert.equal((await get(`${server.url}/-/ready`, { auth })).status, 200);
    assert.equal((await get(`${server.url}/-/reload`, { auth, method: 'POST' })).status, 200);
    assert.equal((await get(`${server.url}/elsewhere`, { auth })).status, 404);

    const refusals = [
      await get(`${server.url}/metrics`),
      await get(`${server.url}/-/healthy`),
      await get(`${server.url}/-/ready`),
      await get(`${server.url}/-/reload`, { method: 'POST' }),
      await get(`${server.url}/elsewhere`),
      await get(`${server.url}/metrics`, { auth: `prometheus:${PASSWORD}x` }),
      await get(`${server.url}/metrics`, { auth: `grafana:${PASSWORD}` }),
      await get(`${server.url}/metrics`, { headers: { authorization: 'Basic %%%' } }),
    ];
    for (const refusal of refusals) {
      // Identical answers: nothing tells a wrong user from a wrong password.
      assert.deepEqual(
        [
          refusal.status,
          refusal.body,
          refusal.headers['www-authenticate'],
          refusal.headers['x-frame-options'],
        ],
        [401, 'Unauthorized\n', 'Basic', 'deny'],
      );
    }
  });

  it('refuses plain HTTP on the TLS port (400, as Go) and clients that do not trust the certificate', async () => {
    const server = await serve(tlsOnly());
    const port = server.port;
    const plain = await fetch(`http://127.0.0.1:${port}/-/healthy`);
    assert.equal(plain.status, 400);
    assert.equal(await plain.text(), 'Client sent an HTTP request to an HTTPS server.\n');
    await assert.rejects(get(`${server.url}/-/healthy`, { ca: certs.read(certs.strangerCert) }), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const reply = await get(`${server.url}/-/healthy`);
    assert.equal(reply.status, 200);
    assert.equal(reply.protocol, 'TLSv1.3');
  });

  it('applies client_auth_type like Go: no certificate, a stranger and a CA-signed client', async () => {
    const expected: Record<string, [boolean, boolean, boolean]> = {
      NoClientCert: [true, true, true],
      RequestClientCert: [true, true, true],
      RequireAnyClientCert: [false, true, true],
      VerifyClientCertIfGiven: [true, false, true],
      RequireAndVerifyClientCert: [false, false, true],
    };
    for (const [type, [none, stranger, signed]] of Object.entries(expected)) {
      const ca = type === 'NoClientCert' ? '' : '  client_ca_file: ca.crt\n';
      const server = await serve(tlsOnly(`${ca}  client_auth_type: ${type}\n`));
      const url = `${server.url}/-/healthy`;
      const outcome = (options: RequestOptions): Promise<boolean> =>
        get(url, options).then(
          (reply) => reply.status === 200,
          () => false,
        );
      const actual = [
        await outcome({}),
        await outcome({ cert: certs.read(certs.strangerCert), key: certs.read(certs.strangerKey) }),
        await outcome({ cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) }),
      ];
      assert.deepEqual(actual, [none, stranger, signed], type);
    }
  });

  it('min_version TLS13 refuses a TLS 1.2-only client; cipher_suites limits TLS 1.2 suites', async () => {
    const modern = await serve(tlsOnly('  min_version: TLS13\n'));
    await assert.rejects(get(`${modern.url}/-/healthy`, { maxVersion: 'TLSv1.2' }), /version/i);
    assert.equal((await get(`${modern.url}/-/healthy`)).protocol, 'TLSv1.3');

    const suites = await serve(
      tlsOnly('  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n'),
    );
    const reply = await get(`${suites.url}/-/healthy`);
    assert.equal(reply.protocol, 'TLSv1.2');
    assert.equal(reply.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
    await assert.rejects(get(`${suites.url}/-/healthy`, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
  });

  it('picks up a rotated certificate and changed users on new connections; keeps the last good config', async () => {
    const file = writeWebConfig(`${tlsOnly()}basic_auth_users:\n  prometheus: '${HASH}'\n`, 'rotating.yml');
    const protection = await WebProtection.load({ file, logger, checkIntervalMs: 0 });
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      metrics: (_request, response) => response.end('ok\n'),
      protection,
    });
    servers.push(server);
    const url = `${server.url}/metrics`;
    // A re-read a connection started may still be in flight (it returns that one): the second call
    // starts one that sees the file as written.
    const reread = async (): Promise<void> => {
      await protection.refresh();
      await protection.refresh();
    };
    const first = await get(url, { auth: `prometheus:${PASSWORD}` });
    assert.equal(first.status, 200);

    // Re-reads run in the background (connections meanwhile get the last good config): wait for one.
    certs.rotateServer();
    await reread();
    const rotated = await get(url, { auth: `prometheus:${PASSWORD}` });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.fingerprint, first.fingerprint);

    writeFileSync(file, `${tlsOnly()}basic_auth_users:\n  grafana: '${hashSync('other', 4)}'\n`);
    await reread();
    assert.equal((await get(url, { auth: `prometheus:${PASSWORD}` })).status, 401);
    assert.equal((await get(url, { auth: 'grafana:other' })).status, 200);

    writeFileSync(file, `${tlsOnly()}basic_auth_users:\n  grafana: not-a-hash\n`);
    await reread();
    assert.equal((await get(url, { auth: 'grafana:other' })).status, 200);
    assert.ok(
      logs.some(
        (line) => line.includes('web config not reloaded') && line.includes('basic_auth_users.grafana'),
      ),
      logs.join('\n'),
    );
    writeFileSync(file, `basic_auth_users:\n  grafana: '${HASH}'\n`);
    await reread();
    assert.equal((await get(url, { auth: 'grafana:other' })).status, 200);
    assert.ok(logs.some((line) => line.includes('turning TLS on or off needs a restart')));
  });

  it('names the key of an unreadable or bad certificate, key or CA', async () => {
    const errors = async (text: string): Promise<string[]> => {
      const config = parseWebConfig(text, path.join(certs.dir, 'check.yml'));
      try {
        await readTlsMaterial(config.tls!);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.issues.map(formatIssue);
      }
      assert.fail('accepted');
    };
    const file = path.join(certs.dir, 'check.yml');
    assert.deepEqual(await errors('tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n'), [
      `${file}:2:14: tls_server_config.cert_file: cannot read certificate ${certs.dir}/missing.crt: ENOENT`,
    ]);
    assert.deepEqual(
      await errors('tls_server_config:\n  cert_file: server.crt\n  key_file: stranger.key\n'),
      [
        `${file}:3:13: tls_server_config.key_file: ${certs.dir}/stranger.key is not the private key of the certificate`,
      ],
    );
    assert.deepEqual(await errors('tls_server_config:\n  cert_file: server.key\n  key_file: server.crt\n'), [
      `${file}:2:14: tls_server_config.cert_file: ${certs.dir}/server.key has no PEM certificate`,
      `${file}:3:13: tls_server_config.key_file: ${certs.dir}/server.crt has no PEM private key`,
    ]);
    assert.deepEqual(
      await errors(
        'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n',
      ),
      [
        `${file}:4:19: tls_server_config.client_ca_file: ${certs.dir}/server.key has no valid PEM certificate`,
      ],
    );
    assert.deepEqual(await errors('tls_server_config:\n  cert: not a PEM\n  key_file: server.key\n'), [
      `${file}:2:9: tls_server_config.cert: the value has no PEM certificate`,
    ]);
  });
});
