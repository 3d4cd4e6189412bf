/**
 * The exponential bucket layout of Prometheus native histograms (and OpenTelemetry exponential
 * histograms, whose `scale` is the same number): schema s has the bucket factor 2^(2^-s), and
 * bucket `key` of schema s holds the values in (2^((key-1)·2^-s), 2^(key·2^-s)]: boundaries are
 * upper-inclusive, bucket 0 ends at 1. The rule is client_golang's (prometheus/histogram.go): the
 * same observation lands in the same bucket whichever library recorded it.
 */

/** The finest and the coarsest schema Prometheus accepts. */
export const MAX_SCHEMA = 8;
export const MIN_SCHEMA = -4;

/** client_golang's DefNativeHistogramZeroThreshold: |v| at most this goes to the zero bucket. */
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;

/**
 * The schema of a bucket factor: the coarsest whose factor 2^(2^-s) does not exceed `factor`
 * (client_golang's pickSchema), clamped to [MIN_SCHEMA, MAX_SCHEMA]. 1.1 gives 3 (factor 1.0905,
 * 8 buckets per power of two). `factor` must be greater than 1.
 */
export function schemaForFactor(factor: number): number {
  const floor = Math.floor(Math.log2(Math.log2(factor)));
  if (floor <= -MAX_SCHEMA) return MAX_SCHEMA;
  if (floor >= -MIN_SCHEMA) return MIN_SCHEMA;
  return 0 - floor; // not -floor: -0 for a factor of 2
}

/**
 * Per schema s > 0, the 2^s fractions 2^(i·2^-s - 1), i = 0 .. 2^s - 1: the boundaries of the
 * buckets within one power of two, as frexp fractions in [0.5, 1). Math.pow gives each within an
 * ulp of the exact value (the test checks every one exactly); client_golang's table, neither
 * correctly rounded, differs from it by an ulp or two in some entries (2^-0.25: ...144 there, ...146
 * here), so only a value within two ulps of a boundary can land one bucket off client_golang's.
 */
const FRACTION_BOUNDS: readonly Float64Array[] = Array.from({ length: MAX_SCHEMA + 1 }, (_, schema) => {
  const n = 2 ** schema;
  const bounds = new Float64Array(schema === 0 ? 1 : n);
  for (let i = 0; i < bounds.length; i++) bounds[i] = Math.pow(2, i / n - 1);
  return bounds;
});

/** The boundary fractions of schema `schema` (1 .. MAX_SCHEMA); exported for the tests. */
export function fractionBounds(schema: number): Float64Array {
  return FRACTION_BOUNDS[schema]!;
}

// frexp without allocation: the exponent and mantissa bits of a double, read through one buffer.
const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);
/** Index of the word holding the sign, exponent and high mantissa bits. */
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * frexp's exponent of |v| (finite, non-zero): |v| = frac · 2^exp with frac in [0.5, 1); frac is left
 * in `float[0]` (a module variable holding a double would box it: an allocation per observation).
 */
function frexp(v: number): number {
  float[0] = Math.abs(v);
  let high = words[HIGH]!;
  let biased = (high >>> 20) & 0x7ff;
  let shift = 0;
  if (biased === 0) {
    // Subnormal: scale into the normal range first (exact: a power of two).
    float[0] *= 2 ** 64;
    high = words[HIGH]!;
    biased = (high >>> 20) & 0x7ff;
    shift = 64;
  }
  words[HIGH] = (high & 0x800fffff) | (1022 << 20);
  return biased - 1022 - shift;
}

/**
 * The bucket key of `v` (finite or infinite, not NaN, not 0) at `schema`: see the file comment.
 * ±Infinity goes to the bucket after the one of ±MAX_VALUE, as in client_golang.
 */
export function bucketKey(v: number, schema: number): number {
  const infinite = v === Infinity || v === -Infinity;
  const exp = frexp(infinite ? Number.MAX_VALUE : v);
  const fraction = float[0]!;
  let key: number;
  if (schema > 0) {
    const bounds = FRACTION_BOUNDS[schema]!;
    // The first bound not below the fraction (sort.SearchFloat64s): upper-inclusive buckets.
    let low = 0;
    let high = bounds.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (bounds[middle]! < fraction) low = middle + 1;
      else high = middle;
    }
    key = low + (exp - 1) * bounds.length;
  } else {
    key = fraction === 0.5 ? exp - 1 : exp;
    const offset = (1 << -schema) - 1;
    key = (key + offset) >> -schema;
  }
  return infinite ? key + 1 : key;
}

/** The upper (inclusive) boundary of bucket `key` at `schema`: 2^(key·2^-s), exactly the table's. */
export function bucketUpperBound(key: number, schema: number): number {
  if (schema <= 0) return 2 ** (key * 2 ** -schema);
  const bounds = FRACTION_BOUNDS[schema]!;
  const n = bounds.length;
  const index = ((key % n) + n) % n;
  const exp = Math.floor(key / n) + 1;
  // frac · 2^exp, split in two steps so that neither factor overflows near the ends of the range.
  return bounds[index]! * 2 ** Math.trunc(exp / 2) * 2 ** (exp - Math.trunc(exp / 2));
}
