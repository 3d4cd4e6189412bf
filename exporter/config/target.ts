import { isSeq } from 'yaml';
import { hostProblem } from './host';
import { MAX_TARGET_NAME_LENGTH, MAX_TARGETS } from './limits';
import { type Field, quote, type Reader } from './reader';
import { readString } from './scalars';
import { readTargetSettings, SETTING_KEYS, type SettingsContext } from './target-settings';
import type { TargetConfig } from './types';

const TARGET_KEYS = ['name', 'host', ...SETTING_KEYS] as const;
const REQUIRED_KEYS = ['name', 'host'] as const;

/** Reads `targets`; a missing or null list is an empty one. */
export function readTargets(
  r: Reader,
  field: Field | undefined,
  context: SettingsContext,
): TargetConfig[] | undefined {
  const count = field && isSeq(field.node) ? field.node.items.length : 0;
  if (field && count > MAX_TARGETS) {
    // Refused whole, before any target is read: one error rather than one (or more) per target.
    r.report(
      field,
      `${count} targets: the limit is ${MAX_TARGETS} per file: split the list across several exporters, each with its own file`,
    );
    return undefined;
  }
  const items = field ? r.seq(field) : [];
  if (!items) return undefined;
  const names = new Map<string, Field>();
  const targets = items.map((item) => readTarget(r, item, context, names));
  return targets.every((target) => target !== undefined) ? (targets as TargetConfig[]) : undefined;
}

function readTarget(
  r: Reader,
  field: Field,
  context: SettingsContext,
  names: Map<string, Field>,
): TargetConfig | undefined {
  const entries = r.map(field, TARGET_KEYS);
  if (!entries) return undefined;
  for (const key of REQUIRED_KEYS) {
    if (!entries.has(key)) r.report(field, `missing required key "${key}"`);
  }
  const nameField = entries.get('name')?.value;
  const name = nameField && readName(r, nameField, names);
  const hostField = entries.get('host')?.value;
  const host = hostField && readHost(r, hostField);
  const settings = readTargetSettings(r, field, entries, context, host);
  if (name === undefined || host === undefined || !settings) return undefined;
  return { name, host, ...settings };
}

function readName(r: Reader, field: Field, names: Map<string, Field>): string | undefined {
  const name = readString(r, field);
  return name !== undefined && claimTargetName(r, field, name, names) ? name : undefined;
}

/**
 * Whether `name`, written at `field`, may name a target: 1 to MAX_TARGET_NAME_LENGTH characters and
 * not in `names` yet (where it is then recorded). The problem is reported at `field` otherwise.
 * Shared by the config's targets and those of target_groups' files.
 */
export function claimTargetName(r: Reader, field: Field, name: string, names: Map<string, Field>): boolean {
  const length = [...name].length;
  if (length === 0 || length > MAX_TARGET_NAME_LENGTH) {
    r.report(field, `target name must be 1 to ${MAX_TARGET_NAME_LENGTH} characters long, got ${length}`);
    return false;
  }
  const first = names.get(name);
  if (first) {
    r.report(field, `duplicate target name ${quote(name)} (first at line ${r.line(first.offset)})`);
    return false;
  }
  names.set(name, field);
  return true;
}

function readHost(r: Reader, field: Field): string | undefined {
  const host = readString(r, field);
  const problem = host === undefined ? undefined : hostProblem(host);
  if (problem) r.report(field, problem);
  return problem ? undefined : host;
}
