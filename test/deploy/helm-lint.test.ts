import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../support/paths';
import { chartDir } from './helm-render';

// What `ct lint` and a chart reviewer check on the chart's own files: chart-testing's yamllint rules on
// values.yaml and Chart.yaml, Chart.yaml's metadata, and the README's values table being current.

const LINTCONF = path.join(repoRoot, 'test', 'deploy', 'fixtures', 'ct-lintconf.yaml');
const README_SCRIPT = path.join(repoRoot, 'scripts', 'chart-readme.mjs');

type Check = (value: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const listOf =
  (check: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(check);
const mapOf =
  (fields: Record<string, [Check, boolean]>): Check =>
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    Object.keys(v).every((key) => key in fields) &&
    Object.entries(fields).every(([key, [check, required]]) => {
      const field = (v as Record<string, unknown>)[key];
      return field === undefined ? !required : check(field);
    });
/** chart-testing's etc/chart_schema.yaml (the yamale schema `ct lint` checks Chart.yaml with): check, required. */
const CHART_SCHEMA: Record<string, [Check, boolean]> = {
  name: [str, true],
  home: [str, false],
  version: [str, true],
  apiVersion: [str, true],
  appVersion: [(v) => str(v) || typeof v === 'number', false],
  description: [str, false],
  keywords: [listOf(str), false],
  sources: [listOf(str), false],
  maintainers: [listOf(mapOf({ name: [str, true], email: [str, false], url: [str, false] })), false],
  dependencies: [listOf((v) => typeof v === 'object'), false],
  icon: [str, false],
  engine: [str, false],
  condition: [str, false],
  tags: [str, false],
  deprecated: [(v) => typeof v === 'boolean', false],
  kubeVersion: [str, false],
  annotations: [(v) => v !== null && typeof v === 'object' && Object.values(v).every(str), false],
  type: [str, false],
};

function yamllint(...files: string[]): { status: number | null; output: string } {
  const result = spawnSync('yamllint', ['-f', 'parsable', '-c', LINTCONF, ...files], { encoding: 'utf8' });
  if (result.error)
    throw new Error(`yamllint: ${result.error.message} (sudo bash scripts/install-test-deps.sh)`);
  return { status: result.status, output: result.stdout + result.stderr };
}

function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-chart-lint-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Helm chart files: ct lint rules, metadata, README', () => {
  it("values.yaml and Chart.yaml pass chart-testing's yamllint rules", () => {
    const { status, output } = yamllint(
      path.join(chartDir, 'values.yaml'),
      path.join(chartDir, 'Chart.yaml'),
    );
    assert.equal(output, '');
    assert.equal(status, 0);
  });

  it('those rules catch what ct lint catches: spaces inside braces, trailing spaces, a duplicate key', () => {
    withTempDir((dir) => {
      const file = path.join(dir, 'values.yaml');
      for (const [text, rule] of <[string, string][]>[
        ['ping: { interval: 1s }\n', 'braces'],
        ['ping: [ a ]\n', 'brackets'],
        ['ping: {}   \n', 'trailing-spaces'],
        ['ping: 1\nping: 2\n', 'key-duplicates'],
        ['ping: 1 # comment\n', 'comments'],
      ]) {
        writeFileSync(file, text);
        const { status, output } = yamllint(file);
        assert.equal(status, 1, text);
        assert.match(output, new RegExp(`\\(${rule}\\)`), text);
      }
    });
  });

  it("Chart.yaml meets chart-testing's chart schema, and names maintainers and a kubeVersion", () => {
    const chart = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    for (const key of Object.keys(chart))
      assert.ok(key in CHART_SCHEMA, `${key} is not a Chart.yaml key ct knows`);
    for (const [key, [check, required]] of Object.entries(CHART_SCHEMA)) {
      if (chart[key] === undefined) assert.ok(!required, `${key} is required`);
      else assert.ok(check(chart[key]), `${key}: ${JSON.stringify(chart[key])}`);
    }
    assert.equal(chart.apiVersion, 'v2');
    assert.match(String(chart.version), /^\d+\.\d+\.\d+$/);
    const maintainers = chart.maintainers as { name: string; email?: string }[];
    assert.ok(maintainers.length > 0 && maintainers.every((m) => (m.email ?? '').includes('@')));
    assert.match(String(chart.kubeVersion), /^>=1\.\d+/);
  });

  it("home and sources follow package.json's URLs; without any, the chart README says why they are absent", () => {
    const chart = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      homepage?: string;
      repository?: string | { url: string };
    };
    const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    if (repository === undefined && pkg.homepage === undefined) {
      // Nothing to point at: no invented URL, and the reason written down.
      assert.equal(chart.home, undefined);
      assert.equal(chart.sources, undefined);
      const readme = readFileSync(path.join(chartDir, 'README.md'), 'utf8');
      assert.match(readme, /## Chart metadata\n\n`Chart\.yaml` has no `home` and no `sources`/);
    } else {
      if (pkg.homepage !== undefined) assert.equal(chart.home, pkg.homepage);
      if (repository !== undefined)
        assert.ok(
          (chart.sources as string[] | undefined)?.includes(repository.replace(/^git\+|\.git$/g, '')),
          `sources names ${repository}`,
        );
    }
  });

  it('README.md has the values table written from values.yaml, and every value is in it', () => {
    const check = spawnSync('node', [README_SCRIPT, '--check', chartDir], { encoding: 'utf8' });
    assert.equal(check.stderr, '');
    assert.equal(check.status, 0);

    const readme = readFileSync(path.join(chartDir, 'README.md'), 'utf8');
    const rows = new Map(
      [...readme.matchAll(/^\| `([^`]+)` \| ([^|]+) \| `([^`]*)` \|/gm)].map((m) => [
        m[1]!,
        { type: m[2]!.trim() },
      ]),
    );
    const values = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const leaves = (node: unknown, prefix: string[]): string[][] =>
      node !== null && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).length > 0
        ? Object.entries(node).flatMap(([key, child]) => leaves(child, [...prefix, key]))
        : [prefix];
    for (const leaf of leaves(values, [])) {
      const documented = leaf.some((_, i) => rows.has(leaf.slice(0, i + 1).join('.')));
      assert.ok(documented, `${leaf.join('.')}: no "# -- " comment on it or on a key above it`);
    }
    assert.equal(rows.get('hostUsers')?.type, 'boolean or null', 'types come from values.schema.json');
    assert.equal(rows.get('replicaCount')?.type, 'integer');
  });

  it('the README check fails on a stale table, and the script rewrites it', () => {
    withTempDir((dir) => {
      const copy = path.join(dir, 'chart');
      cpSync(chartDir, copy, { recursive: true });
      const values = path.join(copy, 'values.yaml');
      const text = readFileSync(values, 'utf8');
      writeFileSync(values, text.replace('# -- Pods of a Deployment', '# -- Number of pods of a Deployment'));
      const stale = spawnSync('node', [README_SCRIPT, '--check', copy], { encoding: 'utf8' });
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /values table is stale/);
      assert.equal(spawnSync('node', [README_SCRIPT, copy]).status, 0);
      assert.match(readFileSync(path.join(copy, 'README.md'), 'utf8'), /\| Number of pods of a Deployment/);
      assert.equal(spawnSync('node', [README_SCRIPT, '--check', copy]).status, 0);
    });
  });
});
