import { isScalar } from 'yaml';
import { formatDuration, parseDuration } from './duration';
import { MAX_DURATION, MIN_DURATION } from './limits';
import { type Field, quote, type Reader } from './reader';
import type { ReadValue, ValueReader } from './setting';
import { scalarText } from './yaml-document';

// Readers of single values: each returns undefined after reporting what is wrong.

export function readString(r: Reader, field: Field): string | undefined {
  const { node } = field;
  return isScalar(node) && typeof node.value === 'string' ? node.value : r.expected(field, 'a string');
}

/** A finite number. */
export function readNumber(r: Reader, field: Field, what = 'a number'): number | undefined {
  const { node } = field;
  if (!isScalar(node) || typeof node.value !== 'number') return r.expected(field, what);
  if (Number.isFinite(node.value)) return node.value;
  r.report(field, `must be finite, got ${scalarText(node)}`);
  return undefined;
}

export function readInteger(r: Reader, field: Field, min: number, max: number): number | undefined {
  const value = readNumber(r, field, 'an integer');
  if (value === undefined) return undefined;
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  const range =
    max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
  r.report(field, `must be ${range}, got ${value}`);
  return undefined;
}

/** A reader of a block key holding an integer from `min` to `max`. */
export function integerValue(min: number, max: number): ValueReader {
  return (r, field) => {
    const value = readInteger(r, field, min, max);
    return value === undefined ? undefined : { value, text: String(value) };
  };
}

const UNITS = 'ms, s, m, h';

/** A duration in seconds, written with a unit: `250ms`, `1.5s`, `1m30s`. */
export function readDuration(r: Reader, field: Field): ReadValue | undefined {
  const { node } = field;
  if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number')) {
    return r.expected(field, 'a duration such as 1s');
  }
  const text = scalarText(node);
  if (/^\d+(\.\d+)?$/.test(text)) {
    r.report(field, `duration ${text} has no unit: write e.g. ${text}s (units: ${UNITS})`);
    return undefined;
  }
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    const negative = text.startsWith('-') && parseDuration(text.slice(1)) !== undefined;
    r.report(
      field,
      negative
        ? `duration must be positive, got ${text}`
        : `${quote(text)} is not a duration: write a number and a unit (${UNITS}), e.g. 250ms, 1.5s, 1m30s`,
    );
  } else if (seconds === 0) r.report(field, `duration must be positive, got ${text}`);
  else if (seconds < MIN_DURATION)
    r.report(field, `duration ${text} is below the minimum of ${formatDuration(MIN_DURATION)}`);
  else if (seconds > MAX_DURATION)
    r.report(field, `duration ${text} is above the maximum of ${formatDuration(MAX_DURATION)}`);
  else return { value: seconds, text };
  return undefined;
}
