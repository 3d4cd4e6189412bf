import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resolveHost } from '../../../exporter/cli/resolve-host';

describe('resolveHost names the mistake in a HOST argument', () => {
  const cases: Array<[string, string]> = [
    ['10.0.0.1:443', 'HOST "10.0.0.1:443" has a port where a host is expected: write "10.0.0.1" alone'],
    ['[::1]:80', 'HOST "[::1]:80" has a port where a host is expected: write "::1" alone'],
    [
      'https://example.com/',
      'HOST "https://example.com/" is a URL where a host is expected: write "example.com" alone',
    ],
    ['localhost:9469', 'HOST "localhost:9469" has a port where a host is expected: write "localhost" alone'],
    [
      '[::1]',
      'HOST "[::1]" is in brackets, which belong only in a URL or an address with a port: write "::1" alone',
    ],
  ];
  for (const [host, message] of cases) {
    it(host, async () => {
      await assert.rejects(resolveHost(host, 0), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_USAGE');
        assert.equal(error.message, message);
        return true;
      });
    });
  }

  it('still takes IP literals and names (nothing is looked up for a literal)', async () => {
    assert.equal(await resolveHost('::1', 0), '::1');
    assert.equal(await resolveHost('127.0.0.1', 4), '127.0.0.1');
    assert.equal(await resolveHost('localhost', 4), '127.0.0.1');
  });
});
