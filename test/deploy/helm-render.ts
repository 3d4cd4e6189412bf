import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
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

/** Renders the chart like `helm template` with `values` merged over values.yaml; throws with stderr on failure. */
export function renderChart(binary: string, values: object = {}, release = 'probe'): K8sObject[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-helm-'));
  try {
    const file = path.join(dir, 'values.json'); // JSON is YAML
    writeFileSync(file, JSON.stringify(values));
    const result = spawnSync(binary, [chartDir, '-f', file, '--name', release, '--namespace', 'monitoring'], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(result.stderr || `helmrender exited ${result.status}`);
    return parseAllDocuments(result.stdout).flatMap((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors.join('; ')}`);
      const object = doc.toJS() as K8sObject | null;
      return object === null ? [] : [object];
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
