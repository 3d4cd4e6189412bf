import { type Field, isNull, present, type Reader } from './reader';

/** Layers of settings, least specific first: a later layer overrides an earlier one. */
const BUILT_IN = 0;
/** `defaults` and the other top-level blocks. */
export const GLOBAL_BLOCK = 1;
export const TARGET_BLOCK = 2;

/** One value of a merged block, remembering where it came from. */
export interface Setting {
  readonly value: number;
  /** As written, for messages. */
  readonly text: string;
  readonly layer: number;
  /** Unset for a built-in default. */
  readonly field?: Field;
}

/** The settings of a block by key; null where the key is set but invalid (already reported). */
export type Settings<Key extends string> = { readonly [K in Key]: Setting | null };

/** A number read from the file, with its text for messages. */
export interface ReadValue {
  readonly value: number;
  readonly text: string;
}

export type ValueReader = (r: Reader, field: Field) => ReadValue | undefined;

/** Settings some of which may be unset at every layer so far: a key without a built-in default. */
export type PartialSettings<Key extends string> = { readonly [K in Key]?: Setting | null };

/**
 * Reads a block such as `ping` or `dns` over `base`: keys set to null or left out keep the base value
 * (or stay unset). The allowed keys are those of `readers`, in that order.
 */
export function readBlock<Key extends string, Base extends PartialSettings<Key>>(
  r: Reader,
  field: Field | undefined,
  layer: number,
  base: Base,
  readers: { readonly [K in Key]: ValueReader },
): Base {
  const keys = Object.keys(readers) as Key[];
  const entries = field && !isNull(field) ? r.map(field, keys) : undefined;
  const merged: { -readonly [K in Key]?: Setting | null } = { ...base };
  for (const key of keys) {
    const value = present(entries?.get(key));
    if (!value) continue;
    const read = readers[key](r, value);
    merged[key] = read ? { ...read, layer, field: value } : null;
  }
  return merged as Base;
}

/** The values of settings, or undefined if any is invalid. */
export function valuesOf<Key extends string>(settings: Settings<Key>): { [K in Key]: number } | undefined {
  const values = {} as { [K in Key]: number };
  for (const key of Object.keys(settings) as Key[]) {
    const setting = settings[key];
    if (!setting) return undefined;
    values[key] = setting.value;
  }
  return values;
}

export function builtIn(value: number, text: string): Setting {
  return { value, text, layer: BUILT_IN };
}

/**
 * Reports a conflict between two merged settings, e.g. `timeout 2s exceeds interval 1s`, at the more
 * specific of the two (the subject on a tie). Only when that one was set in `layer`: a conflict already
 * within `defaults` is reported there once, not again for every target inheriting it.
 */
export function reportConflict(
  r: Reader,
  layer: number,
  subject: readonly [string, Setting],
  relation: string,
  other: readonly [string, Setting],
): void {
  const at = other[1].layer > subject[1].layer ? other : subject;
  const field = at[1].field;
  if (at[1].layer !== layer || !field) return;
  const describe = ([name, setting]: readonly [string, Setting]): string => {
    const text = `${name} ${setting.text}`;
    if (setting === at[1] || setting.layer === at[1].layer) return text;
    if (!setting.field) return `${text} (built-in default)`;
    return `${text} (from ${setting.field.path}, line ${r.line(setting.field.offset)})`;
  };
  r.report(field, `${describe(subject)} ${relation} ${describe(other)}`);
}
