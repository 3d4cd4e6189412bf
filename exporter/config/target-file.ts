import { isScalar } from 'yaml';
import { deepFreeze } from './freeze';
import { hostProblem } from './host';
import { labelNameProblem } from './labels';
import { MAX_TARGETS } from './limits';
import { ConfigError } from './issue';
import { openConfigDocument } from './open-document';
import { type Field, isNull, quote, type Reader } from './reader';
import { readString } from './scalars';
import { claimTargetName } from './target';
import { familyProblem } from './target-settings';
import type { TargetConfig, TargetGroupConfig } from './types';
import { scalarText } from './yaml-document';

const ENTRY_KEYS = ['targets', 'labels'] as const;

/** One target of a file, with where its host is written (`FILE:LINE:COL`) for messages about it. */
export interface FileTarget {
  readonly target: TargetConfig;
  readonly at: string;
}

/**
 * Reads a Prometheus file_sd file (JSON or YAML: a list of `{targets: [host, …], labels: {…}}`) into
 * the group's targets. Each host is a target named by the host, or by the group's name_label; file
 * labels win over the group's; labels starting with `__` are dropped, as Prometheus does after
 * relabelling. The whole file is refused, with every problem as FILE:LINE:COL, when any entry is
 * wrong: a half-read file would silently drop targets.
 */
export function parseTargetFile(text: string | Buffer, file: string, group: TargetGroupConfig): FileTarget[] {
  const { r, lines } = openConfigDocument(text, file);
  const at = (field: Field): string => {
    const { line, col } = lines.linePos(field.offset);
    return `${file}:${line}:${col}`;
  };
  const targets: FileTarget[] = [];
  const root = r.root();
  // An empty file is an empty list: a generator that has nothing to export yet writes one.
  const entries = !root || isNull(root) ? [] : r.seq(root);
  const names = new Map<string, Field>();
  let hosts = 0;
  for (const entry of entries ?? []) {
    const keys = r.map(entry, ENTRY_KEYS);
    if (!keys) continue;
    const hostsField = keys.get('targets')?.value;
    if (!hostsField) {
      r.report(entry, 'missing required key "targets"');
      continue;
    }
    const labelsField = keys.get('labels')?.value;
    const fileLabels =
      labelsField && !isNull(labelsField) ? readFileLabels(r, labelsField, group.nameLabel) : {};
    const items = r.seq(hostsField) ?? [];
    hosts += items.length;
    if (hosts > MAX_TARGETS) {
      r.report(hostsField, `more than ${MAX_TARGETS} targets: the limit per file`);
      break;
    }
    for (const item of items) {
      const target = readHost(r, item, fileLabels, group, names);
      // Frozen here, once: composing a running config of many files then freezes only its list.
      if (target) targets.push(Object.freeze({ target: deepFreeze(target), at: at(item) }));
    }
  }
  if (r.failed || !entries) throw new ConfigError(r.issues, { omitted: r.omitted });
  return targets;
}

function readHost(
  r: Reader,
  field: Field,
  fileLabels: Readonly<Record<string, string>> | undefined,
  group: TargetGroupConfig,
  names: Map<string, Field>,
): TargetConfig | undefined {
  const host = readString(r, field);
  if (host === undefined) return undefined;
  const problem = hostProblem(host) ?? familyProblem(group.settings.family, host);
  if (problem) {
    r.report(field, problem);
    return undefined;
  }
  // Labels in error (reported): the host is checked, the target is not built.
  if (!fileLabels) return undefined;
  const { [group.nameLabel ?? '']: named, ...labels } = fileLabels;
  if (group.nameLabel !== undefined && named === undefined) {
    r.report(field, `no label ${quote(group.nameLabel)} (name_label) names this target`);
    return undefined;
  }
  const name = named ?? host;
  if (!claimTargetName(r, field, name, names)) return undefined;
  const { settings } = group;
  return { name, host, ...settings, labels: { ...settings.labels, ...labels } };
}

/** An entry's labels: `__` ones dropped; the exporter's own names (target, address, …) refused but for the name label. */
function readFileLabels(
  r: Reader,
  field: Field,
  nameLabel: string | undefined,
): Record<string, string> | undefined {
  const entries = r.map(field);
  if (!entries) return undefined;
  const labels: Array<[string, string]> = [];
  let failed = false;
  for (const [name, { key, value }] of entries) {
    if (name.startsWith('__')) continue;
    // The name label names the target and is no label of its series: it may be one of the exporter's (instance).
    const problem = name === nameLabel ? undefined : labelNameProblem(name);
    if (problem) r.report(key, problem);
    const { node } = value;
    const text = isScalar(node) && typeof node.value === 'string' ? scalarText(node) : undefined;
    if (text === undefined) r.expected(value, 'a string');
    if (problem || text === undefined) failed = true;
    // Prometheus drops a label whose value is empty.
    else if (text !== '') labels.push([name, text]);
  }
  return failed ? undefined : Object.fromEntries(labels);
}
