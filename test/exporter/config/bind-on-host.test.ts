import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { ConfigError, formatIssues, loadConfig } from '../../../exporter/config';
import { checkBindOnHost } from '../../../exporter/config/bind-on-host';

describe('checkBindOnHost: bind addresses this host lacks are located config errors', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'netdiag-bind-host-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bind: string): string => {
    const file = path.join(dir, name);
    writeFileSync(
      file,
      `# a comment\nbind: ${bind}\ntargets:\n  - { name: lo, host: 127.0.0.1, ping: {} }\n`,
    );
    return file;
  };

  it('refuses documentation addresses (on no host) at their keys', async () => {
    const file = write('absent.yaml', "{ ipv4: 192.0.2.10, ipv6: '2001:db8::10' }");
    const config = await loadConfig(file);
    await assert.rejects(checkBindOnHost(config), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        formatIssues(error),
        [
          `${file}:2:15: bind.ipv4: 192.0.2.10 is not an address of this host (bind: EADDRNOTAVAIL): probes from it would get no answer; give one of the host's addresses or leave bind.ipv4 unset`,
          `${file}:2:33: bind.ipv6: 2001:db8::10 is not an address of this host (bind: EADDRNOTAVAIL): probes from it would get no answer; give one of the host's addresses or leave bind.ipv6 unset`,
        ].join('\n'),
      );
      return true;
    });
  });

  it('accepts the host’s own addresses', async () => {
    const config = await loadConfig(write('present.yaml', "{ ipv4: 127.0.0.1, ipv6: '::1' }"));
    await checkBindOnHost(config);
  });

  it('locates at the top when the file no longer has the key', async () => {
    const file = write('changed.yaml', '{ ipv4: 192.0.2.10 }');
    const config = await loadConfig(file);
    writeFileSync(file, 'targets: []\n');
    await assert.rejects(checkBindOnHost(config), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(
        error.issues.map((i) => [i.line, i.column, i.path]),
        [[1, 1, 'bind.ipv4']],
      );
      return true;
    });
  });
});
