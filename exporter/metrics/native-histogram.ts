import { DEFAULT_ZERO_THRESHOLD, MIN_SCHEMA, bucketKey, schemaForFactor } from './native-schema';
import { SparseBuckets } from './sparse-buckets';

/** How a histogram keeps native (sparse exponential) buckets next to its classic ones. */
export interface NativeHistogramOptions {
  /** The schema buckets start at (schemaForFactor of the configured bucket factor). */
  readonly schema: number;
  /** |v| at most this counts in the zero bucket. */
  readonly zeroThreshold: number;
  /** Non-empty buckets (positive and negative) a series keeps at most; see NativeBuckets. */
  readonly maxBuckets: number;
  /**
   * Milliseconds: past the bucket limit, a series whose last reset (or start) is at least this old
   * starts over (every count, classic ones included, as a counter reset) rather than coarsening;
   * undefined: it never resets. A coarsened series goes back to `schema` by such a reset.
   */
  readonly minResetMs?: number | undefined;
  /** Whether the protobuf exposition carries the classic buckets too (the text always does). */
  readonly classicInProtobuf: boolean;
  /** Monotonic milliseconds, read only past the limit or while coarsened; default performance.now. */
  readonly now?: () => number;
}

/**
 * The native buckets of one series, with client_golang's bucket limit strategy: when an observation
 * makes more than `maxBuckets` buckets non-empty, the series resets if `minResetMs` allows, else its
 * schema goes down by one (each bucket merges with its neighbour: twice as wide), as many times as
 * it takes (unlike client_golang, which halves once per observation, the limit then always holds,
 * down to MIN_SCHEMA). client_golang's other step, widening the zero bucket, is off by default
 * there (NativeHistogramMaxZeroThreshold 0) and not offered here.
 */
export class NativeBuckets {
  schema: number;
  zeroThreshold: number;
  zeroCount = 0;
  readonly positive = new SparseBuckets();
  /** Created by the first negative observation (an RTT never is one). */
  negative: SparseBuckets | undefined;
  /** Monotonic milliseconds of the last reset or the start. */
  private lastReset: number;

  constructor(private readonly options: NativeHistogramOptions) {
    this.schema = options.schema;
    this.zeroThreshold = options.zeroThreshold;
    this.lastReset = this.now();
  }

  /**
   * Counts `v` (NaN is not counted, as in client_golang). Returns false when the series must reset
   * instead (see `minResetMs`): the caller clears every count, calls `reset()`, and records `v` again.
   */
  observe(v: number): boolean {
    if (v !== v) return true;
    const { options } = this;
    if (this.schema < options.schema && options.minResetMs !== undefined && this.resetDue()) return false;
    if (v > this.zeroThreshold) this.positive.add(bucketKey(v, this.schema));
    else if (v < -this.zeroThreshold) (this.negative ??= new SparseBuckets()).add(bucketKey(v, this.schema));
    else this.zeroCount++;
    if (this.populated() <= options.maxBuckets) return true;
    if (options.minResetMs !== undefined && this.resetDue()) return false;
    while (this.populated() > options.maxBuckets && this.schema > MIN_SCHEMA) this.coarsen();
    return true;
  }

  /** Back to the configured schema and threshold, every bucket empty. */
  reset(): void {
    this.schema = this.options.schema;
    this.zeroThreshold = this.options.zeroThreshold;
    this.zeroCount = 0;
    this.positive.clear();
    this.negative?.clear();
    this.lastReset = this.now();
  }

  /** Non-empty buckets, both signs. */
  populated(): number {
    return this.positive.populated + (this.negative?.populated ?? 0);
  }

  private resetDue(): boolean {
    return this.now() - this.lastReset >= this.options.minResetMs!;
  }

  /** One schema down: bucket k merges into ceil(k / 2) (client_golang's doubleBucketWidth). */
  private coarsen(): void {
    this.schema--;
    this.positive.replace(merged(this.positive));
    if (this.negative) this.negative.replace(merged(this.negative));
  }

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }
}

function merged(buckets: SparseBuckets): SparseBuckets {
  const coarser = new SparseBuckets();
  buckets.forEach((key, count) => coarser.addCount(Math.ceil(key / 2), count));
  return coarser;
}

/** The config's native histogram settings (exporter/config's NativeHistogramsConfig has this shape). */
export interface NativeHistogramSettings {
  readonly enabled: boolean;
  readonly bucketFactor: number;
  readonly maxBucketCount: number;
  /** Seconds. */
  readonly minResetDuration?: number;
  readonly classicBucketsInProtobuf: boolean;
}

/** The options of the RTT histograms for `settings`; undefined when native histograms are off. */
export function nativeHistogramOptions(
  settings: NativeHistogramSettings,
): NativeHistogramOptions | undefined {
  if (!settings.enabled) return undefined;
  return {
    schema: schemaForFactor(settings.bucketFactor),
    zeroThreshold: DEFAULT_ZERO_THRESHOLD,
    maxBuckets: settings.maxBucketCount,
    minResetMs: settings.minResetDuration === undefined ? undefined : settings.minResetDuration * 1000,
    classicInProtobuf: settings.classicBucketsInProtobuf,
  };
}
