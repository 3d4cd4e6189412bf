import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl, redactUrls } from '../../../exporter/config';

describe('redactUrl', () => {
  it('replaces userinfo and credential-like query values, keeps the rest', () => {
    assert.equal(
      redactUrl('https://user:s3cret@collector:4318/v1/metrics?api_key=abc&tenant=t1&X-Auth-Token=xyz'),
      'https://***@collector:4318/v1/metrics?api_key=***&tenant=t1&X-Auth-Token=***',
    );
    assert.equal(redactUrl('http://collector:4318/v1/metrics'), 'http://collector:4318/v1/metrics');
    assert.equal(redactUrl('http://token-only@collector/'), 'http://***@collector/');
  });

  it('redacts every URL inside a message', () => {
    assert.equal(
      redactUrls('POST http://u:p4ss@10.0.0.1:4318/v1/metrics?token=t0k failed: ECONNREFUSED'),
      'POST http://***@10.0.0.1:4318/v1/metrics?token=*** failed: ECONNREFUSED',
    );
  });
});
