import { isScalar } from 'yaml';
import { type Field, quote, type Reader } from './reader';
import { scalarText } from './yaml-document';

/** Label names the exporter sets itself, or Prometheus does. */
const RESERVED_LABEL_NAMES: readonly string[] = [
  'target',
  'address',
  'family',
  'probe',
  'reason',
  'port',
  'protocol',
  'hop',
  'hop_address',
  'le',
  'instance',
  'job',
];

export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME.test(name)) return `label name ${quote(name)} must match ${LABEL_NAME.source}`;
  if (name.startsWith('__'))
    return `label name ${quote(name)} is reserved: names starting with __ are internal`;
  if (RESERVED_LABEL_NAMES.includes(name))
    return `label name ${quote(name)} is reserved: the exporter sets it`;
  return undefined;
}

/**
 * Reads a `labels` mapping. Values are strings; numbers and booleans are taken as written
 * (`rack: 01` is "01"). Empty values are refused: Prometheus treats them as an absent label.
 */
export function readLabels(r: Reader, field: Field): Record<string, string> | undefined {
  const entries = r.map(field);
  if (!entries) return undefined;
  const labels: Array<[string, string]> = [];
  for (const [name, { key, value }] of entries) {
    const problem = labelNameProblem(name);
    if (problem) r.report(key, problem);
    const { node } = value;
    const text =
      isScalar(node) && node.value !== null && typeof node.value !== 'object' ? scalarText(node) : undefined;
    if (text === undefined) r.expected(value, 'a string');
    else if (text === '')
      r.report(value, 'label value must not be empty: Prometheus treats an empty value as no label');
    else if (!problem) labels.push([name, text]);
  }
  return Object.fromEntries(labels);
}
