import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, formatPublicIssue, loadConfig } from '../../../exporter/config';
import { fixturePath, fixturesDir } from './fixture-paths';

describe('formatPublicIssue: errors for replies and logs carry no text of the file', () => {
  const names = readdirSync(path.join(fixturesDir, 'invalid')).map((file) => path.basename(file, '.yaml'));

  for (const name of names) {
    it(name, async () => {
      const file = fixturePath('invalid', name);
      const error = await loadConfig(file).then(
        () => assert.fail('accepted'),
        (error: unknown) => error,
      );
      assert.ok(error instanceof ConfigError);
      // Words of the file that are not keys: every scalar value of 4+ characters, as written. Key
      // paths, anchor and alias names are the document's structure and may be named.
      const text = readFileSync(file, 'latin1');
      const values = [...text.matchAll(/:\s*"?([^\s"#,{}[\]:]{4,})"?\s*$/gm)].map((m) => m[1]!);
      for (const issue of error.issues) {
        const prefix = 'F:1:1: P: ';
        const message = formatPublicIssue({ ...issue, file: 'F', line: 1, column: 1, path: 'P' }).slice(
          prefix.length,
        );
        for (const quoted of message.match(/"(?:[^"\\]|\\.)*"/g) ?? []) assert.equal(quoted, '"…"', message);
        assert.ok(!/Unresolved tag: /.test(message), message);
        for (const value of values)
          if (!/^[\d*&]/.test(value) && !/^(true|false|null|tcp|udp|icmp)$/i.test(value))
            assert.ok(!message.includes(value), `"${value}" in ${message}`);
      }
    });
  }
});
