import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createPrometheusPipeline } from '../../../exporter/metrics';
import { observeBuildInfo } from '../../../exporter/metrics/build-info';
import { parseSamples, scrapeText, select } from '../../support/scrape';

describe('netdiag_build_info', () => {
  it('is one series, value 1, labelled with the build it was given', async () => {
    const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
    try {
      observeBuildInfo(pipeline.meterProvider.getMeter('test'), pipeline.store, {
        version: '1.2.3',
        revision: 'c'.repeat(40),
        nodejs_version: 'v20.1.0',
      });
      const text = await scrapeText(pipeline);
      assert.match(text, /^# TYPE netdiag_build_info gauge$/m);
      const series = select(parseSamples(text), 'netdiag_build_info');
      assert.deepEqual(
        series.map((s) => [s.labels, s.value]),
        [[{ version: '1.2.3', revision: 'c'.repeat(40), nodejs_version: 'v20.1.0' }, 1]],
      );
    } finally {
      await pipeline.shutdown();
    }
  });
});
