import { type Environment, readEnvString } from './env-string';
import { labelNameProblem } from './labels';
import type { Field, Reader } from './reader';

/**
 * The top-level `labels`: on every series of every target, under each target's own labels (a
 * target's label of the same name wins). Values may reference the environment (`${NODE_NAME}`),
 * which is how each pod of a DaemonSet names itself on its series.
 */
export function readGlobalLabels(
  r: Reader,
  field: Field,
  env: Environment,
): Record<string, string> | undefined {
  const entries = r.map(field);
  if (!entries) return undefined;
  const labels: Array<[string, string]> = [];
  let failed = false;
  for (const [name, { key, value }] of entries) {
    const problem = labelNameProblem(name);
    if (problem) r.report(key, problem);
    const text = readEnvString(r, value, env);
    if (text === '')
      r.report(value, 'label value must not be empty: Prometheus treats an empty value as no label');
    if (problem || text === undefined || text === '') failed = true;
    else labels.push([name, text]);
  }
  return failed ? undefined : Object.fromEntries(labels);
}
