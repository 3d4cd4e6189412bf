import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMaxConnections } from '../../../exporter/cli/web-flags';

describe('--web.max-connections', () => {
  it('takes a positive integer, and nothing for the default', () => {
    assert.equal(parseMaxConnections(undefined), undefined);
    assert.equal(parseMaxConnections('64'), 64);
    for (const bad of ['0', '-1', '1.5', 'many', '', '1e3'])
      assert.throws(() => parseMaxConnections(bad), { code: 'ERR_USAGE', message: /--web\.max-connections/ });
  });
});
