import { DEFAULT_DNS } from './defaults';
import { formatDuration } from './duration';
import type { Field, Reader } from './reader';
import { readDuration } from './scalars';
import { builtIn, GLOBAL_BLOCK, readBlock, reportConflict, valuesOf } from './setting';
import type { DnsConfig } from './types';

const BUILT_IN_DNS = {
  refresh: builtIn(DEFAULT_DNS.refresh, formatDuration(DEFAULT_DNS.refresh)),
  retry_min: builtIn(DEFAULT_DNS.retryMin, formatDuration(DEFAULT_DNS.retryMin)),
  retry_max: builtIn(DEFAULT_DNS.retryMax, formatDuration(DEFAULT_DNS.retryMax)),
};

/** Reads the `dns` block; undefined if it is invalid. */
export function readDns(r: Reader, field: Field | undefined): DnsConfig | undefined {
  const dns = readBlock(r, field, GLOBAL_BLOCK, BUILT_IN_DNS, {
    refresh: readDuration,
    retry_min: readDuration,
    retry_max: readDuration,
  });
  const { retry_min: min, retry_max: max } = dns;
  if (min && max && min.value > max.value) {
    reportConflict(r, GLOBAL_BLOCK, ['retry_min', min], 'exceeds', ['retry_max', max]);
  }
  const values = valuesOf(dns);
  return values && { refresh: values.refresh, retryMin: values.retry_min, retryMax: values.retry_max };
}
