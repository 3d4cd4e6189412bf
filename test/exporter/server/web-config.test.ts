import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, formatIssue } from '../../../exporter/config';
import { parseWebConfig } from '../../../exporter/server';

const FILE = '/etc/netdiag/web.yml';
const HASH = '$2b$10$W9o8coz3YLJ7Khgj2ogC6ucmn9fpdlfUUYswe6JvyFxJD9OSufck.';

function errorsOf(text: string): string[] {
  try {
    parseWebConfig(text, FILE);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.map(formatIssue);
  }
  assert.fail(`accepted:\n${text}`);
}

describe('parseWebConfig', () => {
  it('reads every supported key, resolving files against the web config folder', () => {
    const config = parseWebConfig(
      `tls_server_config:
  cert_file: tls/server.crt
  key_file: /abs/server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    X-XSS-Protection: ""
basic_auth_users:
  prometheus: ${HASH}
  "user name": '$2b$04$abcdefghijklmnopqrstuu5PyLwmC0VAvMrXfy6W9XIHz2DUWu3zu'
`,
      FILE,
    );
    const { at: _at, cert, key, clientCa, ...tls } = config.tls!;
    assert.deepEqual({ ...cert, at: undefined }, { file: '/etc/netdiag/tls/server.crt', at: undefined });
    assert.equal('file' in key && key.file, '/abs/server.key');
    assert.equal(clientCa && 'file' in clientCa && clientCa.file, '/etc/netdiag/ca.crt');
    assert.deepEqual(cert.at, { file: FILE, line: 2, column: 14, path: 'tls_server_config.cert_file' });
    assert.deepEqual(tls, {
      clientAuth: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // The TLS 1.3 suite is accepted and left out: OpenSSL keeps its TLS 1.3 defaults, as Go does.
      ciphers: ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
      curves: ['X25519', 'P-256'],
    });
    assert.deepEqual(config.headers, {
      'X-Content-Type-Options': 'nosniff',
      'Strict-Transport-Security': 'max-age=31536000',
    });
    assert.deepEqual([...config.users.keys()], ['prometheus', 'user name']);
    assert.equal(config.users.get('prometheus'), HASH);
  });

  it('takes defaults as exporter-toolkit does; inline PEM; the old RequireClientCert name', () => {
    const config = parseWebConfig(
      `tls_server_config:\n  cert: "-----BEGIN CERTIFICATE-----"\n  key_file: k.pem\n  client_ca: x\n  client_auth_type: RequireClientCert\n`,
      FILE,
    );
    assert.equal(
      config.tls?.cert && 'pem' in config.tls.cert && config.tls.cert.pem,
      '-----BEGIN CERTIFICATE-----',
    );
    assert.equal(config.tls?.clientAuth, 'RequireAnyClientCert');
    assert.equal(config.tls?.minVersion, 'TLSv1.2');
    assert.equal(config.tls?.maxVersion, 'TLSv1.3');
    assert.equal(config.tls?.ciphers, undefined);
    assert.equal(config.tls?.curves, undefined);
  });

  it('configures nothing for an empty file, empty sections or empty strings (plain HTTP, no auth)', () => {
    for (const text of [
      '',
      '# only a comment\n',
      'tls_server_config:\nhttp_server_config:\nbasic_auth_users:\n',
      'tls_server_config: { cert_file: "", key_file: "", min_version: TLS13 }\nbasic_auth_users: {}\n',
    ]) {
      const config = parseWebConfig(text, FILE);
      assert.equal(config.tls, undefined, text);
      assert.equal(config.users.size, 0, text);
      assert.deepEqual(config.headers, {}, text);
    }
  });

  const bad: Array<[string, string, RegExp]> = [
    [
      'unknown root key',
      'tls_config: {}\n',
      /:1:1: tls_config: unknown key "tls_config"; allowed keys: tls_server_config,/,
    ],
    [
      // exporter-toolkit's web_config_auth_client_san_no_client_auth.bad.yaml
      'client_allowed_sans without client certificates',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_allowed_sans: [one]\n',
      /:4:24: tls_server_config\.client_allowed_sans: client_allowed_sans needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert/,
    ],
    [
      // A client may decline to send one: nothing to match (exporter-toolkit refuses it too).
      'client_allowed_sans with an optional certificate',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [one]\n',
      /tls_server_config\.client_allowed_sans: client_allowed_sans needs client_auth_type/,
    ],
    [
      'client_allowed_sans not strings',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [[x]]\n',
      /client_allowed_sans\[0\]: expected a string, got a sequence/,
    ],
    ['rate_limit unknown key', 'rate_limit: { every: 1s }\n', /rate_limit\.every: unknown key "every"/],
    [
      'rate_limit interval without unit',
      'rate_limit: { interval: 10, burst: 1 }\n',
      /rate_limit\.interval: duration 10 has no unit/,
    ],
    [
      'rate_limit burst 0',
      'rate_limit: { interval: 1s }\n',
      /:1:13: rate_limit: burst must be at least 1 with an interval: 0 refuses every request/,
    ],
    [
      'rate_limit burst negative',
      'rate_limit: { interval: 1s, burst: -1 }\n',
      /rate_limit\.burst: must be an integer/,
    ],
    [
      // exporter-toolkit's web_config_headers_content_type_options.bad.yml: an enumerated value, exactly.
      'header value not in the enumeration',
      'http_server_config:\n  headers:\n    X-Content-Type-Options: NOSNIFF\n',
      /X-Content-Type-Options: "NOSNIFF" is not one of nosniff/,
    ],
    [
      'header value a sequence',
      'http_server_config:\n  headers:\n    X-XSS-Protection: [1]\n',
      /X-XSS-Protection: expected a string, got a sequence/,
    ],
    [
      'unknown tls key',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_path: c\n',
      /:4:3: tls_server_config\.cert_path: unknown key/,
    ],
    [
      'no key',
      'tls_server_config:\n  cert_file: a\n',
      /:2:3: tls_server_config: missing one of key or key_file/,
    ],
    [
      'no cert',
      'tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n  key_file: b\n',
      /:2:3: tls_server_config: missing one of cert or cert_file/,
    ],
    [
      'cert twice',
      'tls_server_config:\n  cert: x\n  cert_file: a\n  key_file: b\n',
      /:3:14: tls_server_config\.cert_file: set cert or cert_file, not both/,
    ],
    [
      'file not a string',
      'tls_server_config:\n  cert_file: [a]\n  key_file: b\n',
      /:2:14: tls_server_config\.cert_file: expected a string, got a sequence/,
    ],
    [
      'client auth type',
      'tls_server_config: { cert_file: a, key_file: b, client_auth_type: RequireAndVerify }\n',
      /:1:67: tls_server_config\.client_auth_type: "RequireAndVerify" is not one of NoClientCert, RequestClientCert,/,
    ],
    [
      'CA without client auth',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n',
      /:2:3: tls_server_config: a client CA is set without client_auth_type/,
    ],
    [
      'CA with NoClientCert',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n  client_auth_type: NoClientCert\n',
      /:5:21: tls_server_config\.client_auth_type: a client CA is set but client_auth_type is NoClientCert/,
    ],
    [
      'version',
      'tls_server_config: { cert_file: a, key_file: b, min_version: TLSv1.2 }\n',
      /:1:62: tls_server_config\.min_version: "TLSv1\.2" is not one of TLS10, TLS11, TLS12, TLS13/,
    ],
    [
      'min above max',
      'tls_server_config: { cert_file: a, key_file: b, min_version: TLS13, max_version: TLS12 }\n',
      /tls_server_config\.max_version: max_version is lower than min_version/,
    ],
    [
      'cipher',
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites:\n    - TLS_RSA_WITH_AES_128_CBC_SHA\n',
      /:5:7: tls_server_config\.cipher_suites\[0\]: unknown cipher suite "TLS_RSA_WITH_AES_128_CBC_SHA"; supported: TLS_AES_128_GCM_SHA256,/,
    ],
    [
      'ciphers not a list',
      'tls_server_config: { cert_file: a, key_file: b, cipher_suites: TLS_AES_128_GCM_SHA256 }\n',
      /cipher_suites: expected a sequence, got the string/,
    ],
    [
      'curve',
      'tls_server_config: { cert_file: a, key_file: b, curve_preferences: [P256] }\n',
      /curve_preferences\[0\]: unknown curve "P256"; supported: CurveP256, CurveP384, CurveP521, X25519/,
    ],
    [
      'prefer not boolean',
      'tls_server_config: { cert_file: a, key_file: b, prefer_server_cipher_suites: yes }\n',
      /prefer_server_cipher_suites: expected true or false, got the string "yes"/,
    ],
    [
      'http2 not boolean',
      'http_server_config: { http2: 1 }\n',
      /:1:30: http_server_config\.http2: expected true or false, got the number 1/,
    ],
    [
      'unknown header',
      'http_server_config:\n  headers:\n    X-Powered-By: me\n',
      /:3:5: http_server_config\.headers\.X-Powered-By: unknown key "X-Powered-By"; allowed keys: Strict-Transport-Security,/,
    ],
    [
      'header value',
      'http_server_config:\n  headers:\n    X-Frame-Options: allow\n',
      /:3:22: http_server_config\.headers\.X-Frame-Options: "allow" is not one of deny, sameorigin/,
    ],
    [
      'header line break',
      'http_server_config:\n  headers:\n    Content-Security-Policy: "a\\r\\nSet-Cookie: x"\n',
      /Content-Security-Policy: a header value cannot contain line breaks/,
    ],
    [
      'plain password',
      'basic_auth_users:\n  prom: secret\n',
      /:2:9: basic_auth_users\.prom: expected a bcrypt hash/,
    ],
    [
      'cost too high',
      `basic_auth_users:\n  prom: '${HASH.replace('$10$', '$32$')}'\n`,
      /basic_auth_users\.prom: expected a bcrypt hash/,
    ],
    [
      'hash cut short',
      `basic_auth_users:\n  prom: '${HASH.slice(0, -1)}'\n`,
      /basic_auth_users\.prom: expected a bcrypt hash/,
    ],
    [
      'hash not a string',
      'basic_auth_users:\n  prom: 12\n',
      /basic_auth_users\.prom: expected a string, got the number 12/,
    ],
    [
      'colon in user',
      `basic_auth_users:\n  "a:b": '${HASH}'\n`,
      /:2:3: basic_auth_users\["a:b"\]: a user name cannot contain ":"/,
    ],
    [
      'users not a map',
      'basic_auth_users: [prom]\n',
      /:1:19: basic_auth_users: expected a mapping, got a sequence/,
    ],
    [
      'duplicate user',
      `basic_auth_users:\n  a: '${HASH}'\n  a: '${HASH}'\n`,
      /:3:3: basic_auth_users\.a: duplicate key "a" \(first at line 2\)/,
    ],
    ['not a mapping', '- a\n', /:1:1: \(root\): expected a mapping, got a sequence/],
    ['YAML syntax', 'tls_server_config: {\n', /:\d+:\d+: \(root\): invalid YAML/],
  ];
  for (const [name, text, expected] of bad) {
    it(`rejects: ${name}`, () => {
      const errors = errorsOf(text);
      assert.ok(
        errors.some((line) => line.startsWith(`${FILE}:`) && expected.test(line)),
        `${expected} not in:\n${errors.join('\n')}`,
      );
    });
  }

  it("accepts exporter-toolkit's web_config_headers.good.yml: a header written as a YAML number is its text", () => {
    const config = parseWebConfig(
      `http_server_config:
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000; includeSubDomains
    X-Content-Type-Options: nosniff
    X-XSS-Protection: 1
    Content-Security-Policy: "default-src 'self' *.test.example.net"
`,
      FILE,
    );
    assert.deepEqual(config.headers, {
      'X-Frame-Options': 'deny',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
      'X-Content-Type-Options': 'nosniff',
      'X-XSS-Protection': '1',
      'Content-Security-Policy': "default-src 'self' *.test.example.net",
    });
    // As written, as Go's YAML reads a scalar into a string: not 1.5 nor 31.
    const written = parseWebConfig('http_server_config:\n  headers:\n    X-XSS-Protection: 1.50\n', FILE);
    assert.equal(written.headers['X-XSS-Protection'], '1.50');
  });

  it('reads a zero rate_limit interval as no limit, as exporter-toolkit (rate.Every(0)), whatever the burst', () => {
    for (const interval of ['0', '0s', '0ms']) {
      assert.equal(
        parseWebConfig(`rate_limit:\n  interval: ${interval}\n  burst: 0\n`, FILE).rateLimit,
        undefined,
      );
    }
    assert.deepEqual(errorsOf('rate_limit:\n  interval: 0\n  burst: -1\n'), [
      `${FILE}:3:10: rate_limit.burst: must be an integer of at least 0, got -1`,
    ]);
  });

  it('reads rate_limit (interval, burst) and client_allowed_sans', () => {
    const config = parseWebConfig(
      `rate_limit:\n  interval: 1m30s\n  burst: 3\ntls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n  client_auth_type: RequireAndVerifyClientCert\n  client_allowed_sans: [prometheus.example, "::1"]\n`,
      FILE,
    );
    assert.deepEqual(config.rateLimit, { intervalSeconds: 90, burst: 3 });
    assert.deepEqual(config.tls?.allowedSans, ['prometheus.example', '::1']);
    // No interval: no limit, as exporter-toolkit reads a zero interval.
    assert.equal(parseWebConfig('rate_limit: { burst: 5 }\n', FILE).rateLimit, undefined);
    assert.equal(parseWebConfig('rate_limit:\n', FILE).rateLimit, undefined);
  });

  it('reports every problem of a file at once, in the order of the text', () => {
    const errors = errorsOf(
      'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS9\nbasic_auth_users:\n  x: y\nextra: 1\n',
    );
    assert.deepEqual(
      errors.map((line) => line.split(': ')[1]),
      ['tls_server_config.min_version', 'basic_auth_users.x', 'extra'],
    );
  });
});
