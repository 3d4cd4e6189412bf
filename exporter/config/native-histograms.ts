import { isScalar } from 'yaml';
import { DEFAULT_NATIVE_HISTOGRAMS } from './defaults';
import { isNull, present, type Field, type Reader } from './reader';
import { readDuration, readInteger, readNumber } from './scalars';
import type { NativeHistogramsConfig } from './types';

const NATIVE_HISTOGRAM_KEYS = [
  'enabled',
  'bucket_factor',
  'max_bucket_count',
  'min_reset_duration',
  'classic_buckets_in_protobuf',
] as const;

/** Past this many non-empty buckets per series, the limit is no limit (the default is 160). */
const MAX_BUCKET_COUNT = 10_000;

/**
 * Reads the `native_histograms` block over DEFAULT_NATIVE_HISTOGRAMS. `bucket_factor` must be above 1
 * (the schema is the coarsest whose factor does not exceed it, see schemaForFactor); an empty block
 * is the defaults.
 */
export function readNativeHistograms(r: Reader, field: Field): NativeHistogramsConfig | undefined {
  if (isNull(field)) return DEFAULT_NATIVE_HISTOGRAMS;
  const entries = r.map(field, NATIVE_HISTOGRAM_KEYS);
  if (!entries) return undefined;
  const enabledField = present(entries.get('enabled'));
  const factorField = present(entries.get('bucket_factor'));
  const countField = present(entries.get('max_bucket_count'));
  const resetField = present(entries.get('min_reset_duration'));
  const classicField = present(entries.get('classic_buckets_in_protobuf'));
  const enabled = enabledField ? readBoolean(r, enabledField) : DEFAULT_NATIVE_HISTOGRAMS.enabled;
  const bucketFactor = factorField ? readFactor(r, factorField) : DEFAULT_NATIVE_HISTOGRAMS.bucketFactor;
  const maxBucketCount = countField
    ? readInteger(r, countField, 1, MAX_BUCKET_COUNT)
    : DEFAULT_NATIVE_HISTOGRAMS.maxBucketCount;
  const reset = resetField && readDuration(r, resetField);
  const classic = classicField
    ? readBoolean(r, classicField)
    : DEFAULT_NATIVE_HISTOGRAMS.classicBucketsInProtobuf;
  if (
    enabled === undefined ||
    bucketFactor === undefined ||
    maxBucketCount === undefined ||
    (resetField && !reset) ||
    classic === undefined
  )
    return undefined;
  return {
    enabled,
    bucketFactor,
    maxBucketCount,
    ...(reset && { minResetDuration: reset.value }),
    classicBucketsInProtobuf: classic,
  };
}

function readFactor(r: Reader, field: Field): number | undefined {
  const factor = readNumber(r, field);
  if (factor === undefined || factor > 1) return factor;
  r.report(field, `bucket factor must be greater than 1, got ${factor}`);
  return undefined;
}

function readBoolean(r: Reader, field: Field): boolean | undefined {
  const { node } = field;
  return isScalar(node) && typeof node.value === 'boolean' ? node.value : r.expected(field, 'true or false');
}
