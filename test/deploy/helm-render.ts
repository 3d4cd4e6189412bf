import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../support/paths';

export const chartDir = path.join(repoRoot, 'helm', 'netdiag-exporter');

/** A rendered Kubernetes object, loosely typed: the tests check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = Record<string, any>;

/** Builds test/tools/helmrender (cached under /tmp until main.go changes) and returns the binary's path. */
export function buildHelmRender(): string {
  const script = path.join(repoRoot, 'test', 'tools', 'helmrender', 'build.sh');
  return execFileSync('bash', [script], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** values.yaml with `overrides` merged over it, maps key by key, as Helm (and helmrender) merge -f files. */
function mergedValues(overrides: object, dir = chartDir): Record<string, unknown> {
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...base };
    for (const [key, value] of Object.entries(over)) {
      const current = out[key];
      out[key] = isMap(current) && isMap(value) ? merge(current, value) : value;
    }
    return out;
  };
  const defaults = parse(readFileSync(path.join(dir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  return merge(defaults, overrides as Record<string, unknown>);
}

/**
 * The errors of values.schema.json on the merged values, in Helm's words; none when they conform. Helm
 * checks the schema before rendering (helm template, install, upgrade, lint); helmrender does not, so
 * renderChart checks here.
 */
export function schemaErrors(overrides: object, dir = chartDir): string[] {
  const schema = JSON.parse(readFileSync(path.join(dir, 'values.schema.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true }).compile(schema);
  if (validate(mergedValues(overrides, dir))) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${e.dataPath || '(root)'}: ${e.message}${'additionalProperty' in e.params ? ` (${JSON.stringify(e.params)})` : ''}`,
  );
}

function run(binary: string, dir: string, values: object, release: string): string {
  const work = mkdtempSync(path.join(tmpdir(), 'netdiag-helm-'));
  try {
    const file = path.join(work, 'values.json'); // JSON is YAML
    writeFileSync(file, JSON.stringify(values));
    const result = spawnSync(binary, [dir, '-f', file, '--name', release, '--namespace', 'monitoring'], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(result.stderr || `helmrender exited ${result.status}`);
    return result.stdout;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The chart rendered like `helm template`, as text, with `values` merged over values.yaml; throws with
 * stderr on failure, and, as Helm does, with the schema's errors when the values do not meet
 * values.schema.json.
 */
export function renderManifest(binary: string, values: object = {}, release = 'probe'): string {
  const errors = schemaErrors(values);
  if (errors.length > 0)
    throw new Error(`values don't meet the specifications of the schema(s):\n${errors.join('\n')}`);
  return run(binary, chartDir, values, release);
}

/** The objects of renderManifest. */
export function renderChart(binary: string, values: object = {}, release = 'probe'): K8sObject[] {
  return parseAllDocuments(renderManifest(binary, values, release)).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.join('; ')}`);
    const object = doc.toJS() as K8sObject | null;
    return object === null ? [] : [object];
  });
}

/**
 * The text of templates/NOTES.txt as `helm install` prints it. helmrender skips NOTES.txt like `helm
 * template` does, so a copy of the chart renders it under another name.
 */
export function renderNotes(binary: string, values: object = {}, release = 'probe'): string {
  const work = mkdtempSync(path.join(tmpdir(), 'netdiag-helm-notes-'));
  try {
    const copy = path.join(work, 'netdiag-exporter');
    cpSync(chartDir, copy, { recursive: true });
    renameSync(path.join(copy, 'templates', 'NOTES.txt'), path.join(copy, 'templates', 'notes.txt'));
    const marker = '# Source: netdiag-exporter/templates/notes.txt\n';
    const output = run(binary, copy, values, release);
    const start = output.indexOf(marker);
    if (start < 0) throw new Error('NOTES.txt rendered nothing');
    const end = output.indexOf('\n---\n# Source: ', start);
    return output.slice(start + marker.length, end < 0 ? undefined : end);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
