import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../../exporter/config';
import { repoRoot } from '../../support/paths';

// One meaning of null, everywhere (README, "Configuration"): a key set to null sets nothing at its
// level. A setting keeps its inherited value; a probe key still enables its probe, with the defaults.

const DEFAULTS = [
  'defaults:',
  '  ping: { interval: 2s, size: 120 }',
  '  knock: { port: 443, interval: 3s }',
  '  trace: { protocol: icmp, interval: 2m }',
];

function targetOf(probeLines: string[]) {
  const text = [
    ...DEFAULTS,
    'targets:',
    '  - name: t',
    '    host: 10.0.6.2',
    ...probeLines.map((l) => `    ${l}`),
  ];
  const config = parseConfig(`${text.join('\n')}\n`, 'null.yaml');
  return config.targets[0]!;
}

describe('null in the config', () => {
  for (const probe of ['ping', 'knock', 'trace'] as const) {
    it(`enables ${probe} with the defaults for ${probe}:, ${probe}: null and ${probe}: ~, as ${probe}: {} does`, () => {
      const empty = targetOf([`${probe}: {}`]);
      assert.ok(empty[probe], `${probe}: {} enables it`);
      for (const spelling of [`${probe}:`, `${probe}: null`, `${probe}: ~`]) {
        assert.deepEqual(targetOf([spelling]), empty, spelling);
      }
    });
  }

  it('takes the defaults block for a null probe block', () => {
    assert.equal(targetOf(['ping:']).ping?.interval, 2);
    assert.equal(targetOf(['ping:']).ping?.size, 120);
    assert.deepEqual(
      targetOf(['knock:']).knock?.map((k) => [k.port, k.interval]),
      [[443, 3]],
    );
    assert.equal(targetOf(['trace:']).trace?.protocol, 'icmp');
  });

  it('keeps the inherited value of a setting set to null', () => {
    assert.deepEqual(targetOf(['ping: { interval: null, size: ~, timeout: 500ms }']).ping, {
      interval: 2,
      timeout: 0.5,
      size: 120,
      window: 60,
    });
  });

  it('runs no probe whose key is left out', () => {
    const target = targetOf(['ping:']);
    assert.equal(target.knock, undefined);
    assert.equal(target.trace, undefined);
  });

  it("parses the README's configuration example as its comments say", () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Configuration\n'));
    const yaml = /^```yaml\n([\s\S]*?)^```$/m.exec(section)?.[1];
    assert.ok(yaml, 'the example');
    // bind names the reader's own addresses and interface, which this host need not have.
    const config = parseConfig(yaml.replace(/^bind:.*\n/m, ''), 'README.md');
    const resolver = config.targets.find((t) => t.name === 'resolver');
    assert.deepEqual(
      resolver?.ping,
      { interval: 1, timeout: 1, size: 56, window: 60 },
      'ping: with the defaults',
    );
    assert.equal(config.targets.find((t) => t.name === 'gateway')?.ping?.interval, 0.2);
  });
});
