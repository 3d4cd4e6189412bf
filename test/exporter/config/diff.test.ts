import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { diffConfig, parseConfig } from '../../../exporter/config';

const BEFORE = `
targets:
  - { name: gateway, host: 10.0.6.2, ping: {} }
  - { name: resolver, host: 10.0.6.53, labels: { site: ams }, ping: {} }
  - { name: uplink, host: 198.51.100.1, ping: { interval: 2s } }
`;

const parse = (text: string) => parseConfig(text, 'config.yaml');

describe('diffConfig', () => {
  it('finds nothing between a config and itself', () => {
    const before = parse(BEFORE);
    const diff = diffConfig(before, parse(BEFORE));
    assert.deepEqual(diff, {
      added: [],
      removed: [],
      changed: [],
      unchanged: [...before.targets],
      globalChanged: false,
      cardinalityLimitChanged: false,
    });
  });

  it('matches targets by name: added, removed, changed and unchanged', () => {
    const before = parse(BEFORE);
    const after = parse(`
targets:
  - { name: www, host: www.example.com, family: dual, ping: {} }
  - { name: uplink, host: 198.51.100.1, ping: { interval: 2000ms } }
  - { name: resolver, host: 10.0.6.53, labels: { site: fra }, ping: {} }
`);
    const diff = diffConfig(before, after);
    assert.deepEqual(
      diff.added.map((target) => target.name),
      ['www'],
    );
    assert.deepEqual(
      diff.removed.map((target) => target.name),
      ['gateway'],
    );
    assert.deepEqual(diff.changed, [{ before: before.targets[1], after: after.targets[2] }]);
    // 2000ms and 2s are the same merged config.
    assert.equal(diff.unchanged.length, 1);
    assert.equal(diff.unchanged[0], after.targets[1]);
    assert.equal(diff.globalChanged, false);
  });

  it('compares merged values, so a change in defaults changes the targets inheriting it', () => {
    const before = parse(BEFORE);
    const diff = diffConfig(before, parse(`defaults: { ping: { size: 100 } }\n${BEFORE}`));
    assert.deepEqual(
      diff.changed.map(({ after }) => after.name),
      ['gateway', 'resolver', 'uplink'],
    );
  });

  it('sees a change of host or family', () => {
    const before = parse(
      'targets: [{ name: a, host: a.example, ping: {} }, { name: b, host: b.example, ping: {} }]',
    );
    const after = parse(
      'targets: [{ name: a, host: a2.example, ping: {} }, { name: b, host: b.example, family: ipv6, ping: {} }]',
    );
    assert.equal(diffConfig(before, after).changed.length, 2);
  });

  it('sees a change of a knock block, an added or removed knock port, or a change of trace', () => {
    const before = parse(`
defaults: { knock: { port: 443 } }
targets:
  - { name: a, host: a.example, knock: { port: 80 } }
  - { name: b, host: b.example, knock: [{ port: 80 }, { port: 443 }] }
  - { name: c, host: c.example, knock: [{ port: 80 }, { port: 443 }] }
  - { name: d, host: d.example, trace: {} }
  - { name: e, host: e.example, trace: { protocol: tcp } }
  - { name: f, host: f.example, ping: {} }
  - { name: g, host: g.example, ping: {}, trace: {} }
`);
    const after = parse(`
defaults: { knock: { port: 443 } }
targets:
  - { name: a, host: a.example, knock: { port: 80, timeout: 500ms } }
  - { name: b, host: b.example, knock: [{ port: 80 }] }
  - { name: c, host: c.example, knock: [{ port: 80 }, { port: 443 }, { port: 8443 }] }
  - { name: d, host: d.example, trace: { flows: 4 } }
  - { name: e, host: e.example, trace: { protocol: tcp, port: 8443 } }
  - { name: f, host: f.example, ping: {}, knock: {} }
  - { name: g, host: g.example, ping: {} }
`);
    assert.deepEqual(
      diffConfig(before, after).changed.map(({ after }) => after.name),
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
    );
  });

  it('compares knock and trace by merged values: order, defaults and written form do not matter', () => {
    const before = parse(`
targets:
  - { name: a, host: a.example, knock: [{ port: 80 }, { port: 443, interval: 5s }] }
  - { name: b, host: b.example, trace: { protocol: tcp } }
`);
    const after = parse(`
defaults: { trace: { protocol: tcp, port: 443 } }
targets:
  - { name: a, host: a.example, knock: [{ port: 443 }, { port: 80, interval: 5000ms }] }
  - { name: b, host: b.example, trace: { interval: 1m } }
`);
    const diff = diffConfig(before, after);
    assert.deepEqual(diff.changed, []);
    assert.deepEqual(diff.unchanged, [...after.targets]);
  });

  it('sees a change of defaults.knock or defaults.trace in the targets inheriting it', () => {
    const text = `
targets:
  - { name: a, host: a.example, knock: { port: 80 } }
  - { name: b, host: b.example, trace: {} }
  - { name: c, host: c.example, ping: {} }
`;
    const diff = diffConfig(
      parse(text),
      parse(`defaults: { knock: { window: 2m }, trace: { max_hops: 20 } }\n${text}`),
    );
    assert.deepEqual(
      diff.changed.map(({ after }) => after.name),
      ['a', 'b'],
    );
    assert.deepEqual(
      diff.unchanged.map((target) => target.name),
      ['c'],
    );
  });

  const globals: Array<[string, string]> = [
    ['bind', 'bind: { ipv4: 192.0.2.10 }'],
    ['histogram buckets', 'histogram_buckets: [0.001, 0.01]'],
    ['dns', 'dns: { refresh: 1m }'],
    ['native histograms', 'native_histograms: { bucket_factor: 1.05 }'],
  ];
  it('takes an absent native_histograms block for the defaults written out', () => {
    const diff = diffConfig(parse(BEFORE), parse(`native_histograms: { bucket_factor: 1.1 }\n${BEFORE}`));
    assert.equal(diff.globalChanged, false);
  });
  for (const [what, yaml] of globals) {
    it(`sets globalChanged when ${what} differs`, () => {
      const diff = diffConfig(parse(BEFORE), parse(`${yaml}\n${BEFORE}`));
      assert.equal(diff.globalChanged, true);
      assert.equal(diff.unchanged.length, 3);
    });
  }

  it('notes a changed cardinality limit without restarting anything (the default follows the target count)', () => {
    const diff = diffConfig(parse(BEFORE), parse(`cardinality_limit: 5000\n${BEFORE}`));
    assert.equal(diff.globalChanged, false);
    assert.equal(diff.cardinalityLimitChanged, true);
    assert.equal(diff.unchanged.length, 3);
  });

  it('does not set globalChanged for a value written differently', () => {
    const diff = diffConfig(parse(BEFORE), parse(`dns: { refresh: 300s, retry_max: 5m }\n${BEFORE}`));
    assert.equal(diff.globalChanged, false);
  });
});
