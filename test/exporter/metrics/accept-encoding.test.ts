import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsGzip } from '../../../exporter/metrics/accept-encoding';

describe('acceptsGzip', () => {
  it('accepts gzip as Prometheus, curl --compressed and browsers ask for it', () => {
    for (const header of [
      'gzip',
      'gzip, deflate, br',
      'br;q=1.0, GZIP;q=0.5',
      'x-gzip',
      '*',
      'identity, *;q=0.1',
    ])
      assert.equal(acceptsGzip(header), true, header);
    assert.equal(acceptsGzip(['deflate', 'gzip']), true, 'the header repeated');
  });

  it('refuses it when absent, weighted 0, or only identity is asked for', () => {
    for (const header of [
      undefined,
      '',
      'identity',
      'br',
      'gzip;q=0',
      'gzip;q=0.000',
      '*;q=0',
      'gzip;q=0, *',
    ])
      assert.equal(acceptsGzip(header), false, String(header));
  });

  it('takes a malformed weight for 0: a garbled header gets the plain text', () => {
    for (const header of ['gzip;q=abc', 'gzip;q=2', 'gzip;q=0.5000', 'gzip;q=-1'])
      assert.equal(acceptsGzip(header), false, header);
  });
});
