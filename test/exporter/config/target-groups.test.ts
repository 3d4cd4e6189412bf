import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  composeTargets,
  ConfigError,
  DEFAULT_PING,
  parseConfig,
  parseTargetFile,
  parseTargetFileOffThread,
  type Config,
  type TargetGroupConfig,
} from '../../../exporter/config';
import { fixturesDir } from './fixture-paths';

const ENV = { NETDIAG_TEST_NODE: 'node-a', NETDIAG_TEST_POD_IP: '2001:DB8:0:0::5' };

function configOf(text: string): Config {
  return parseConfig(text, '/etc/netdiag/config.yaml', { env: ENV });
}

const GROUP = `
labels:
  source_node: \${NETDIAG_TEST_NODE}
targets:
  - { name: gateway, host: 192.0.2.1, ping: {} }
target_groups:
  - files: [inventory/*.json]
    name_label: instance
    labels: { source: netbox, site: default }
    family: ipv4
    ping: { interval: 5s }
`;

function group(): TargetGroupConfig {
  const groups = configOf(GROUP).targetGroups;
  assert.ok(groups?.[0]);
  return groups[0];
}

describe('target_groups in the config', () => {
  it('reads the valid fixture: environment references expanded, patterns resolved against the config file', () => {
    // Not among valid/: it needs its environment variables, which the worker loader's test does not set.
    const file = path.join(fixturesDir, 'target-groups.yaml');
    const config = parseConfig(readFileSync(file), file, { env: ENV });
    assert.deepEqual(config.targetGroups, [
      {
        files: [path.join(path.dirname(file), 'netbox/*.json'), '/etc/netdiag/extra.yml'],
        nameLabel: 'instance',
        settings: {
          family: 'auto',
          labels: { source_node: 'node-a', source: 'netbox' },
          ping: { ...DEFAULT_PING, interval: 5 },
        },
        at: `${file}:5`,
      },
    ]);
    assert.deepEqual(config.targets[0]?.allAddresses, {
      max: 8,
      exclude: ['2001:db8::5'],
      selectionKey: '2001:db8::5',
    });
    // A target's own label wins over the top-level one.
    assert.deepEqual(config.targets[0]?.labels, { source_node: 'override' });
  });

  it('leaves targetGroups out when there is none: configs without groups are what they were', () => {
    assert.equal(configOf('targets: []').targetGroups, undefined);
  });
});

describe('parseTargetFile', () => {
  it('reads a NetBox-style JSON export: name_label names, file labels win, __ labels dropped, empty values dropped', () => {
    const text = JSON.stringify(
      [
        {
          targets: ['192.0.2.10'],
          labels: { instance: 'ams-r1', site: 'ams', __meta_netbox_id: '7', rack: '' },
        },
        { targets: ['192.0.2.11', '192.0.2.12'], labels: { instance: 'ams-r2' } },
      ],
      null,
      2,
    );
    assert.throws(
      () => parseTargetFile(text, '/srv/inventory/netbox.json', group()),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message ===
          '/srv/inventory/netbox.json:16:7: [1].targets[1]: duplicate target name "ams-r2" (first at line 15)',
    );
    const fixed = text
      .replace('"192.0.2.12"', '"192.0.2.12"')
      .replace('"192.0.2.11",', '"192.0.2.11"],"labels":{"instance":"ams-r3"}},{"targets":[');
    const targets = parseTargetFile(fixed, '/srv/inventory/netbox.json', group());
    assert.deepEqual(
      targets.map(({ target }) => [target.name, target.host, target.family, target.labels, target.ping]),
      [
        [
          'ams-r1',
          '192.0.2.10',
          'ipv4',
          { source_node: 'node-a', source: 'netbox', site: 'ams' },
          { ...DEFAULT_PING, interval: 5 },
        ],
        [
          'ams-r3',
          '192.0.2.11',
          'ipv4',
          { source_node: 'node-a', source: 'netbox', site: 'default' },
          { ...DEFAULT_PING, interval: 5 },
        ],
        [
          'ams-r2',
          '192.0.2.12',
          'ipv4',
          { source_node: 'node-a', source: 'netbox', site: 'default' },
          { ...DEFAULT_PING, interval: 5 },
        ],
      ],
    );
    assert.equal(targets[0]?.at, '/srv/inventory/netbox.json:4:7');
  });

  it('names a target by its host without name_label, reads YAML, and takes an empty file as no targets', () => {
    const { nameLabel: _, ...byHost } = group();
    const yaml = '- targets: [db1.example, 192.0.2.20]\n  labels: { role: db }\n';
    assert.deepEqual(
      parseTargetFile(yaml, 'dbs.yml', byHost).map(({ target, at }) => [target.name, target.labels.role, at]),
      [
        ['db1.example', 'db', 'dbs.yml:1:13'],
        ['192.0.2.20', 'db', 'dbs.yml:1:26'],
      ],
    );
    assert.deepEqual(parseTargetFile('', 'empty.json', byHost), []);
    assert.deepEqual(parseTargetFile('[]', 'empty.json', byHost), []);
  });

  it('refuses a wrong file whole, every problem at FILE:LINE:COL', () => {
    const text = [
      '- targets: [192.0.2.1, "2001:db8::1", "not a host", 7]',
      '  labels: { instance: a, target: x, "bad-name": y, n: 1 }',
      '- labels: { instance: b }',
      '- targets: [192.0.2.2]',
      '- {targets: [192.0.2.3], labels: {instance: c}, extra: 1}',
    ].join('\n');
    const lines = (() => {
      try {
        parseTargetFile(text, 'bad.yaml', group());
        return [];
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.message.split('\n');
      }
    })();
    assert.deepEqual(lines, [
      'bad.yaml:1:24: [0].targets[1]: family ipv4 needs an IPv4 host, but host 2001:db8::1 is an IPv6 address',
      'bad.yaml:1:39: [0].targets[2]: host "not a host" is not an IP address or DNS name: it contains " "',
      'bad.yaml:1:53: [0].targets[3]: expected a string, got the number 7',
      'bad.yaml:2:26: [0].labels.target: label name "target" is reserved: the exporter sets it',
      'bad.yaml:2:37: [0].labels.bad-name: label name "bad-name" must match ^[a-zA-Z_][a-zA-Z0-9_]*$',
      'bad.yaml:2:55: [0].labels.n: expected a string, got the number 1',
      'bad.yaml:3:3: [1]: missing required key "targets"',
      'bad.yaml:4:13: [2].targets[0]: no label "instance" (name_label) names this target',
      'bad.yaml:5:49: [3].extra: unknown key "extra"; allowed keys: targets, labels',
    ]);
  });

  it('checks a literal host against the group family', () => {
    assert.throws(
      () => parseTargetFile('[{targets: ["2001:db8::1"], labels: {instance: a}}]', 'v6.json', group()),
      /v6\.json:1:13: \[0\]\.targets\[0\]: family ipv4 needs an IPv4 host, but host 2001:db8::1 is an IPv6 address/,
    );
  });
});

describe('parseTargetFileOffThread', () => {
  const big = JSON.stringify(
    Array.from({ length: 2000 }, (_, i) => ({
      targets: [`10.9.${i >> 8}.${i & 255}`],
      labels: { instance: `d${i}`, site: `s${i % 7}` },
    })),
  );

  it('parses a large file on a worker: the same targets as on the calling thread, deep-frozen', async () => {
    assert.ok(big.length > 64 * 1024);
    const bytes = Buffer.from(big);
    const off = await parseTargetFileOffThread(bytes, 'big.json', group());
    assert.deepEqual(off, parseTargetFile(bytes, 'big.json', group()));
    assert.ok(Object.isFrozen(off[0]) && Object.isFrozen(off[0]!.target.labels));
    assert.equal(bytes.toString(), big, "the caller's buffer is left whole");
  });

  it('rejects a large broken file with the ConfigError the calling thread would throw', async () => {
    const broken = Buffer.from(big.replace('"10.9.0.5"', '"10.9.0.500"'));
    const sync = (() => {
      try {
        parseTargetFile(broken, 'big.json', group());
      } catch (error) {
        return error as ConfigError;
      }
      return assert.fail('expected a ConfigError');
    })();
    await assert.rejects(parseTargetFileOffThread(broken, 'big.json', group()), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, sync.message);
      assert.match(
        error.message,
        /^big\.json:1:\d+: \[5\]\.targets\[0\]: host "10\.9\.0\.500" is not a valid IPv4 address$/,
      );
      return true;
    });
  });
});

describe('composeTargets', () => {
  const base = configOf(GROUP);
  const g = group();
  const read = (file: string, names: string[]): ReturnType<typeof parseTargetFile> =>
    parseTargetFile(
      JSON.stringify(
        names.map((name, i) => ({ targets: [`10.0.${i >> 8}.${i & 255}`], labels: { instance: name } })),
      ),
      file,
      g,
    );

  it('puts the config targets first, then each file, and names both places of a duplicate', () => {
    const a = read('a.json', ['r1', 'r2']);
    const b = read('b.json', ['r3', 'r1']);
    const composed = composeTargets(base, [
      { file: 'a.json', fresh: a },
      { file: 'b.json', fresh: b },
    ]);
    assert.deepEqual(
      composed.config.targets.map((t) => t.name),
      ['gateway', 'r1', 'r2'],
    );
    assert.deepEqual(composed.files[1]?.problems, [
      `${b[1]!.at}: duplicate target name "r1" (first at ${a[0]!.at})`,
    ]);
    assert.equal(composed.files[1]?.tookFresh, false);
  });

  it('lets a file that did not change keep its names against a newcomer listed before it', () => {
    const running = read('b.json', ['r1']);
    const newcomer = read('a.json', ['r1']);
    const composed = composeTargets(base, [
      { file: 'a.json', fresh: newcomer },
      { file: 'b.json', lastGood: running },
    ]);
    assert.deepEqual(
      composed.config.targets.map((t) => t.host),
      ['192.0.2.1', running[0]!.target.host],
    );
    assert.deepEqual(composed.files[0]?.problems, [
      `${newcomer[0]!.at}: duplicate target name "r1" (first at ${running[0]!.at})`,
    ]);
    assert.deepEqual(composed.files[1]?.problems, []);
  });

  it('refuses a fresh content that clashes and keeps the last good one', () => {
    const good = read('b.json', ['r3']);
    const clashing = read('b.json', ['r3', 'gateway']);
    const composed = composeTargets(base, [{ file: 'b.json', fresh: clashing, lastGood: good }]);
    assert.deepEqual(
      composed.config.targets.map((t) => t.name),
      ['gateway', 'r3'],
    );
    assert.deepEqual(composed.files[0]?.problems, [
      `${clashing[1]!.at}: duplicate target name "gateway" (first at /etc/netdiag/config.yaml: targets[0])`,
    ]);
  });

  it('lets the config file win over a last good content: only the clashing target goes', () => {
    const good = read('b.json', ['r3', 'gateway']);
    const composed = composeTargets(base, [{ file: 'b.json', lastGood: good }]);
    assert.deepEqual(
      composed.config.targets.map((t) => t.name),
      ['gateway', 'r3'],
    );
    assert.equal(composed.files[0]?.problems.length, 1);
  });

  it('grows a default cardinality limit with the file targets, keeps one set in the config', () => {
    const many = read(
      'm.json',
      Array.from({ length: 500 }, (_, i) => `m${i}`),
    );
    assert.equal(
      composeTargets(base, [{ file: 'm.json', fresh: many }]).config.cardinalityLimit,
      100 + 501 * 5,
    );
    const set = configOf(`cardinality_limit: 3000\n${GROUP}`);
    assert.equal(composeTargets(set, [{ file: 'm.json', fresh: many }]).config.cardinalityLimit, 3000);
  });
});
