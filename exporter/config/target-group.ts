import * as path from 'node:path';
import { LABEL_NAME } from './labels';
import { MAX_TARGET_GROUP_FILES } from './limits';
import { type Field, quote, type Reader } from './reader';
import { readString } from './scalars';
import { readTargetSettings, SETTING_KEYS, type SettingsContext } from './target-settings';
import type { TargetGroupConfig } from './types';

const GROUP_KEYS = ['files', 'name_label', ...SETTING_KEYS] as const;

/** What Prometheus' file_sd reads, and what keeps a `*` from picking up editors' backup files. */
const TARGET_FILE_EXTENSIONS = ['.json', '.yml', '.yaml'] as const;
const GLOB_CHARACTERS = /[*?[]/;

/** Reads `target_groups`; a missing or null list is an empty one. Relative patterns are taken from the config file's directory. */
export function readTargetGroups(
  r: Reader,
  field: Field | undefined,
  context: SettingsContext,
): TargetGroupConfig[] | undefined {
  const items = field ? r.seq(field) : [];
  if (!items) return undefined;
  const groups = items.map((item) => readGroup(r, item, context));
  return groups.every((group) => group !== undefined) ? (groups as TargetGroupConfig[]) : undefined;
}

function readGroup(r: Reader, field: Field, context: SettingsContext): TargetGroupConfig | undefined {
  const entries = r.map(field, GROUP_KEYS);
  if (!entries) return undefined;
  const filesField = entries.get('files')?.value;
  if (!filesField) r.report(field, 'missing required key "files"');
  const files = filesField && readPatterns(r, filesField);
  const nameField = entries.get('name_label')?.value;
  const nameLabel = nameField && readNameLabel(r, nameField);
  const settings = readTargetSettings(r, field, entries, context, undefined);
  if (!files || (nameField && nameLabel === undefined) || !settings) return undefined;
  return {
    files,
    ...(nameLabel !== undefined && { nameLabel }),
    settings,
    at: `${r.file}:${r.line(field.offset)}`,
  };
}

function readPatterns(r: Reader, field: Field): string[] | undefined {
  const items = r.seq(field);
  if (!items) return undefined;
  if (items.length === 0) {
    r.report(field, 'must list at least one file or pattern');
    return undefined;
  }
  if (items.length > MAX_TARGET_GROUP_FILES) {
    r.report(field, `${items.length} patterns: the limit is ${MAX_TARGET_GROUP_FILES} per group`);
    return undefined;
  }
  const base = path.dirname(path.resolve(r.file));
  const patterns = items.map((item) => {
    const text = readString(r, item);
    const problem = text === undefined ? undefined : patternProblem(text);
    if (problem) r.report(item, problem);
    return text === undefined || problem ? undefined : path.resolve(base, text);
  });
  return patterns.every((pattern) => pattern !== undefined) ? (patterns as string[]) : undefined;
}

/** Why a `files` entry cannot be watched; undefined when it can. */
function patternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'a file pattern must not be empty';
  if (GLOB_CHARACTERS.test(path.dirname(pattern)))
    return `${quote(pattern)}: patterns may only be used in the last path segment, as in Prometheus' file_sd`;
  if (!TARGET_FILE_EXTENSIONS.some((extension) => pattern.endsWith(extension)))
    return `${quote(pattern)} must end in ${TARGET_FILE_EXTENSIONS.join(', ')}, as in Prometheus' file_sd`;
  return undefined;
}

function readNameLabel(r: Reader, field: Field): string | undefined {
  const name = readString(r, field);
  if (name === undefined) return undefined;
  if (LABEL_NAME.test(name) && !name.startsWith('__')) return name;
  r.report(
    field,
    `name_label ${quote(name)} must be a label name (${LABEL_NAME.source}) not starting with __`,
  );
  return undefined;
}
