import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseListenAddress } from '../../../exporter/server';
import { ExporterError } from '../../../exporter/errors';

describe('parseListenAddress', () => {
  it('parses [HOST]:PORT forms', () => {
    assert.deepEqual(parseListenAddress(':9469'), { port: 9469 });
    assert.deepEqual(parseListenAddress('127.0.0.1:9469'), { host: '127.0.0.1', port: 9469 });
    assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListenAddress('localhost:80'), { host: 'localhost', port: 80 });
  });

  it('rejects malformed addresses with a usage error', () => {
    for (const bad of ['9469', '::1:9469', ':70000', 'host:', '[::1]9469', '']) {
      assert.throws(
        () => parseListenAddress(bad),
        (e) => e instanceof ExporterError && e.code === 'ERR_USAGE',
        bad,
      );
    }
  });
});
