// exporter-toolkit's TestYAMLFiles (web/tls_config_test.go), case by case: each upstream case is written
// here in our own words (the file it names, described by its content), with upstream's outcome. Where
// upstream's outcome is an error, ours is a ConfigError located in the file that names the same fault,
// in upstream's words where upstream has some (ErrorMap in tls_config_test.go).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../exporter/config';
import { createLogger } from '../../../exporter/logging';
import { WebProtection } from '../../../exporter/server';
import { requireTools } from '../../lab';
import { makeCertificates, type TestCertificates } from '../../support/tls-certificates';

const logger = createLogger({ level: 'error', write: () => {} });

/** Upstream's case name, the web config (null: no such file), and upstream's outcome: null (loads) or the fault our message must name. */
type Case = readonly [name: string, text: string | null, fault: RegExp | null];

const tls = (lines: string): string => `tls_server_config:\n${lines}`;

const CASES: readonly Case[] = [
  ['path to config yml invalid', null, /no such file|ENOENT/i],
  ['empty config yml', '', null],
  ['invalid config yml (invalid structure)', 'tls_server_config: [\n  cert_file\n', /invalid YAML/],
  [
    'invalid config yml (invalid key)',
    tls('  cert_filepath: server.crt\n  key_file: server.key\n'),
    /unknown key "cert_filepath"/,
  ],
  [
    'invalid config yml (cert path empty)',
    tls('  cert_file: ""\n  key_file: server.key\n'),
    /missing one of cert or cert_file/,
  ],
  [
    'invalid config yml (cert empty)',
    tls('  cert: ""\n  key_file: server.key\n'),
    /missing one of cert or cert_file/,
  ],
  [
    'invalid config yml (key path empty)',
    tls('  cert_file: server.crt\n  key_file: ""\n'),
    /missing one of key or key_file/,
  ],
  [
    'invalid config yml (key empty)',
    tls('  cert_file: server.crt\n  key: ""\n'),
    /missing one of key or key_file/,
  ],
  [
    'invalid config yml (cert path and key path empty)',
    tls('  cert_file: ""\n  key_file: ""\n  client_auth_type: RequireAnyClientCert\n'),
    /missing one of cert or cert_file/,
  ],
  [
    'invalid config yml (cert path invalid)',
    tls('  cert_file: missing.crt\n  key_file: server.key\n'),
    /missing\.crt.*(no such file|ENOENT)/i,
  ],
  [
    'invalid config yml (key path invalid)',
    tls('  cert_file: server.crt\n  key_file: missing.key\n'),
    /missing\.key.*(no such file|ENOENT)/i,
  ],
  [
    'invalid config yml (cert path and key path invalid)',
    tls('  cert_file: missing.crt\n  key_file: missing.key\n'),
    /missing\.(crt|key).*(no such file|ENOENT)/i,
  ],
  [
    'invalid config yml (invalid ClientAuth)',
    tls('  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n'),
    /a client CA is set without client_auth_type/,
  ],
  [
    'invalid config yml (invalid ClientCAs filepath)',
    tls(
      '  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: missing-ca.crt\n',
    ),
    /missing-ca\.crt.*(no such file|ENOENT)/i,
  ],
  ['invalid config yml (invalid user list)', 'basic_auth_users:\n  alice: short\n', /expected a bcrypt hash/],
  [
    'invalid config yml (bad cipher)',
    tls(
      '  cert_file: server.crt\n  key_file: server.key\n  cipher_suites:\n    - TLS_INVENTED_WITH_AES_512\n',
    ),
    /unknown cipher suite/,
  ],
  [
    'invalid config yml (bad curves)',
    tls('  cert_file: server.crt\n  key_file: server.key\n  curve_preferences:\n    - CurveInvented\n'),
    /unknown curve/,
  ],
  [
    'invalid config yml (bad TLS version)',
    tls('  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS111\n'),
    /min_version: "TLS111" is not one of/,
  ],
];

describe("exporter-toolkit's TestYAMLFiles, case by case", () => {
  let certs: TestCertificates;
  let dir: string;
  let counter = 0;

  before(() => {
    requireTools('openssl');
    certs = makeCertificates();
    dir = certs.dir;
  });
  after(() => certs?.remove());

  for (const [name, text, fault] of CASES) {
    it(`${name}: ${fault === null ? 'loads' : `refused, naming ${fault.source}`}`, async () => {
      const file = path.join(dir, `case-${++counter}.yml`);
      if (text !== null) writeFileSync(file, text);
      const outcome = await WebProtection.load({ file, logger }).then(
        () => null,
        (error: unknown) => error,
      );
      if (fault === null) {
        assert.equal(outcome, null, `refused: ${String(outcome)}`);
        return;
      }
      assert.ok(outcome instanceof ConfigError, `${name}: ${outcome === null ? 'loaded' : String(outcome)}`);
      assert.match(outcome.message, fault);
      assert.ok(outcome.message.includes(file), `not located in ${file}: ${outcome.message}`);
    });
  }
});
