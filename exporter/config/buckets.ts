import type { Field, Reader } from './reader';
import { readNumber } from './scalars';

/** Reads `histogram_buckets`: boundaries in seconds, positive and strictly increasing. */
export function readHistogramBuckets(r: Reader, field: Field): number[] | undefined {
  const items = r.seq(field);
  if (!items) return undefined;
  if (items.length === 0) {
    r.report(field, 'must list at least one bucket boundary');
    return undefined;
  }
  const buckets: number[] = [];
  let valid = true;
  for (const item of items) {
    const boundary = readNumber(r, item);
    const previous = buckets.at(-1);
    if (boundary === undefined) valid = false;
    else if (boundary <= 0) r.report(item, `bucket boundary must be positive, got ${boundary}`);
    else if (previous !== undefined && boundary <= previous) {
      r.report(item, `bucket boundary ${boundary} must be greater than the one before it, ${previous}`);
    } else {
      buckets.push(boundary);
      continue;
    }
    valid = false;
  }
  return valid ? buckets : undefined;
}
