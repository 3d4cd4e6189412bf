import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_SCHEMA,
  MIN_SCHEMA,
  bucketKey,
  bucketUpperBound,
  fractionBounds,
  schemaForFactor,
} from '../../../exporter/metrics/native-schema';

/** The next double above (`step` 1) or below (-1) a positive finite `v`. */
function nextDouble(v: number, step: 1 | -1): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(step));
  return view.getFloat64(0);
}

/** A positive finite double as m · 2^e, m an integer of at most 53 bits. */
function exact(v: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const mantissa = bits & ((1n << 52n) - 1n);
  return biased === 0 ? { m: mantissa, e: -1074 } : { m: mantissa | (1n << 52n), e: biased - 1075 };
}

/**
 * Whether `b` is 2^(i/n - 1) within one ulp (faithfully rounded), checked exactly: with b = m·2^e,
 * (m - 1)^n · 2^(e·n) < 2^(i-n) < (m + 1)^n · 2^(e·n).
 */
function faithful(b: number, i: number, n: number): boolean {
  const { m, e } = exact(b);
  const power = i - n - e * n;
  assert.ok(power >= 0, 'the exponent is positive for fractions in [0.5, 1)');
  const target = 1n << BigInt(power);
  return (m - 1n) ** BigInt(n) < target && target < (m + 1n) ** BigInt(n);
}

describe('native histogram schema', () => {
  it('picks the coarsest schema whose factor does not exceed the bucket factor (client_golang pickSchema)', () => {
    assert.equal(schemaForFactor(1.1), 3); // 2^(1/8) = 1.0905
    assert.equal(schemaForFactor(1.05), 4); // 2^(1/16) = 1.0443
    assert.equal(schemaForFactor(1.09), 4); // below 2^(1/8): the next finer
    assert.equal(schemaForFactor(2), 0);
    assert.equal(schemaForFactor(4), -1);
    assert.equal(schemaForFactor(65536), MIN_SCHEMA);
    assert.equal(schemaForFactor(1e12), MIN_SCHEMA);
    assert.equal(schemaForFactor(1.001), MAX_SCHEMA); // finer than schema 8 can be: the finest
    for (let schema = MIN_SCHEMA; schema <= MAX_SCHEMA; schema++) {
      const factor = 2 ** (2 ** -schema);
      assert.ok(factor <= 1.1 || schema < 3, `schema ${schema}`);
    }
  });

  it('has every boundary fraction 2^(i/2^s - 1) within an ulp', () => {
    for (let schema = 1; schema <= MAX_SCHEMA; schema++) {
      const bounds = fractionBounds(schema);
      const n = 2 ** schema;
      assert.equal(bounds.length, n);
      for (let i = 0; i < n; i++) {
        assert.ok(faithful(bounds[i]!, i, n), `schema ${schema}, bound ${i}: ${bounds[i]}`);
      }
    }
    // 2^-0.5 one ulp below the correctly rounded value (Math.SQRT1_2), as in client_golang's table.
    assert.equal(fractionBounds(1)[1], 0.7071067811865475);
  });

  it('puts a value exactly on a boundary in the bucket it ends, the next double in the next one', () => {
    for (let schema = MIN_SCHEMA; schema <= MAX_SCHEMA; schema++) {
      const perPower = 2 ** Math.max(schema, 0);
      for (let key = -40 * perPower; key <= 40 * perPower; key++) {
        const bound = bucketUpperBound(key, schema);
        assert.equal(bucketKey(bound, schema), key, `schema ${schema}: ${bound} ends bucket ${key}`);
        assert.equal(
          bucketKey(nextDouble(bound, 1), schema),
          key + 1,
          `schema ${schema}: just above ${bound}`,
        );
        assert.equal(bucketKey(nextDouble(bound, -1), schema), key, `schema ${schema}: just below ${bound}`);
      }
    }
  });

  it('places RTTs in the bucket whose bounds hold them: (2^((k-1)/8), 2^(k/8)] at schema 3', () => {
    for (const rtt of [0.000_05, 0.000_731, 0.001, 0.0042, 0.02, 0.15, 0.999, 1, 3.5, 60]) {
      const key = bucketKey(rtt, 3);
      assert.ok(
        bucketUpperBound(key - 1, 3) < rtt && rtt <= bucketUpperBound(key, 3),
        `${rtt} in bucket ${key}`,
      );
    }
    assert.equal(bucketKey(1, 3), 0);
    assert.equal(bucketKey(0.001, 3), -79); // log2(0.001) · 8 = -79.73
    assert.equal(bucketKey(-2, 0), 1); // a negative value: the key of its absolute value
  });

  it('covers the whole double range: subnormals, the largest double, infinity', () => {
    assert.equal(bucketKey(2 ** -1074, 3), -1074 * 8); // the smallest subnormal, exactly a boundary
    assert.equal(bucketKey(2 ** -1074, 0), -1074);
    assert.equal(bucketKey(3 * 2 ** -1074, 0), -1072); // 3 · 2^-1074 in (2^-1073, 2^-1072]
    assert.equal(bucketKey(2 ** -1022, 8), -1022 * 256); // the smallest normal
    assert.equal(bucketKey(Number.MAX_VALUE, 3), 1024 * 8);
    assert.equal(bucketKey(Infinity, 3), 1024 * 8 + 1);
    assert.equal(bucketKey(Number.MAX_VALUE, MIN_SCHEMA), 64);
    assert.equal(bucketKey(Infinity, MIN_SCHEMA), 65);
  });
});
