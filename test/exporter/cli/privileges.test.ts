import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lookupAccount } from '../../../exporter/cli/privileges';

describe('lookupAccount', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-passwd-'));
  const passwd = path.join(dir, 'passwd');
  writeFileSync(
    passwd,
    [
      'root:x:0:0:root:/root:/bin/bash',
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      'probe:x:1001:1500::/:/bin/false',
      '',
    ].join('\n'),
  );

  it('resolves names, UIDs and UID:GID', () => {
    const table: Array<[string, { name: string; uid: number; gid: number }]> = [
      ['nobody', { name: 'nobody', uid: 65534, gid: 65534 }],
      ['probe', { name: 'probe', uid: 1001, gid: 1500 }],
      ['1001', { name: 'probe', uid: 1001, gid: 1500 }],
      ['1001:7', { name: 'probe', uid: 1001, gid: 7 }],
      ['4242', { name: '4242', uid: 4242, gid: 4242 }],
      ['4242:99', { name: '4242', uid: 4242, gid: 99 }],
    ];
    for (const [spec, account] of table) assert.deepEqual(lookupAccount(spec, passwd), account, spec);
  });

  it('names the user and the file when a name is unknown', () => {
    assert.throws(
      () => lookupAccount('ghost', passwd),
      (error: Error) => {
        assert.equal((error as Error & { code: string }).code, 'ERR_USAGE');
        assert.match(error.message, /no user "ghost" in .*passwd/);
        return true;
      },
    );
  });

  it('takes numeric ids without a passwd file', () => {
    assert.deepEqual(lookupAccount('65534', path.join(dir, 'missing')), {
      name: '65534',
      uid: 65534,
      gid: 65534,
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
