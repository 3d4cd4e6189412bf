import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { negotiateFormat } from '../../../exporter/metrics/scrape-format';

const PROTOBUF = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

describe('negotiateFormat', () => {
  it('answers Prometheus with native histograms on (2.42’s header) in protobuf, without in text', () => {
    assert.equal(
      negotiateFormat(
        `${PROTOBUF};q=0.7,text/plain;version=0.0.4;q=0.3,application/openmetrics-text;version=0.0.1;q=0.2,*/*;q=0.1`,
      ),
      'protobuf',
    );
    assert.equal(
      negotiateFormat(
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      ),
      'text',
    );
  });

  it('goes by quality: the higher wins, the earlier on a tie; q=0 refuses', () => {
    assert.equal(negotiateFormat(`text/plain;q=0.8,${PROTOBUF};q=0.9`), 'protobuf');
    assert.equal(negotiateFormat(`${PROTOBUF};q=0.5,text/plain;q=0.6`), 'text');
    assert.equal(negotiateFormat(`${PROTOBUF};q=0.5,*/*;q=0.5`), 'protobuf');
    assert.equal(negotiateFormat(`*/*;q=0.5,${PROTOBUF};q=0.5`), 'text');
    assert.equal(negotiateFormat(`${PROTOBUF};q=0`), 'text');
    assert.equal(negotiateFormat(`${PROTOBUF};q=1.000`), 'protobuf');
  });

  it('reads media types and parameter names in any case, spaces and quoted values', () => {
    assert.equal(
      negotiateFormat(
        'Application/Vnd.Google.Protobuf ; Proto="io.prometheus.client.MetricFamily" ; ENCODING=Delimited',
      ),
      'protobuf',
    );
  });

  it('keeps the text for missing, empty, odd or other protobuf headers', () => {
    for (const accept of [
      undefined,
      '',
      ',,;',
      'garbage',
      'text/html',
      'application/vnd.google.protobuf',
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text',
      'application/vnd.google.protobuf;proto=io.prometheus.client.Metric;encoding=delimited',
      `${PROTOBUF};q=2`,
      `${PROTOBUF};q=0.0001`,
      `${PROTOBUF};q=high`,
    ]) {
      assert.equal(negotiateFormat(accept), 'text', String(accept));
    }
  });

  it('reads a header given twice as one list', () => {
    assert.equal(negotiateFormat(['text/plain;q=0.1', `${PROTOBUF};q=0.9`]), 'protobuf');
  });
});
