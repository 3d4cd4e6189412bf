import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes } from '@opentelemetry/api';
import { FamilyEncoding, type MetricBodies } from '../../../exporter/metrics/family-encoding';
import { LabelPairs } from '../../../exporter/metrics/label-pairs';
import { ProtoWriter } from '../../../exporter/metrics/proto-writer';
import { checkAgainstSchema, clientModelType } from '../../support/client-model';

const METRIC_FAMILY = clientModelType('MetricFamily');

/** Gauge bodies of `values`: Metric.gauge (2) holding Gauge.value (1), the value its last 8 bytes. */
function gauges(values: number[]): MetricBodies {
  const column = Float64Array.from(values);
  return {
    values: column,
    size: () => 11,
    write: (i, writer: ProtoWriter) => {
      writer.lengthPrefix(2, 9);
      writer.doubleField(1, column[i]!);
    },
  };
}

/** The series of an encoding, decoded as a MetricFamily's: target label and gauge value. */
function decode(bytes: Buffer): Array<[string, number]> {
  checkAgainstSchema(bytes, METRIC_FAMILY);
  const family = METRIC_FAMILY.toObject(METRIC_FAMILY.decode(bytes)) as {
    metric?: Array<{ label: Array<{ value: string }>; gauge: { value: number } }>;
  };
  return (family.metric ?? []).map((m) => [m.label.map((l) => l.value).join(','), m.gauge.value]);
}

/** What a cache that never saw the family encodes: the truth each step is held to. */
function fresh(sets: readonly Attributes[], values: number[]): Buffer {
  const encoded = new FamilyEncoding(new LabelPairs()).encode(sets, sets.length, gauges(values));
  return Buffer.from(encoded.bytes.subarray(0, encoded.size));
}

describe('FamilyEncoding', () => {
  it('encodes each scrape as a fresh encoder would, copying what did not change', () => {
    const set = (target: string): Attributes => ({ target, site: 'ams' });
    const [a, b, c, d] = [set('a'), set('b'), set('c'), set('d')];
    const family = new FamilyEncoding(new LabelPairs());
    const steps: Array<[what: string, sets: Attributes[], values: number[], encoded: number]> = [
      ['first scrape: every series encoded', [a, b, c], [1, 2, 3], 3],
      ['nothing changed: copied', [a, b, c], [1, 2, 3], 0],
      ['b changed: its value written over', [a, b, c], [1, 5, 3], 1],
      ['0 and -0 are different bytes', [a, b, c], [1, 5, -0], 1],
      ['NaN', [a, b, c], [NaN, 5, -0], 1],
      ['a removed, d added first: c and b found by their set, d encoded', [d, b, c], [4, 5, -0], 1],
      ['a label set seen two scrapes ago is encoded again', [a, d], [1, 4], 1],
      ['empty', [], [], 0],
      ['after empty: every series encoded', [c, b], [3, 2], 2],
    ];
    for (const [what, sets, values, encodedSeries] of steps) {
      const encoded = family.encode(sets, sets.length, gauges(values));
      encoded.inUse = false;
      const bytes = encoded.bytes.subarray(0, encoded.size);
      assert.ok(bytes.equals(fresh(sets, values)), what);
      assert.deepEqual(
        decode(Buffer.from(bytes)),
        sets.map((set, i) => [`${String(set.target)},ams`, values[i]]),
        what,
      );
      assert.equal(family.encodedSeries, encodedSeries, what);
    }
  });

  it('rewrites the values of a gauge family that has the same series in place: one buffer kept', () => {
    const sets = ['a', 'b', 'c'].map((target) => ({ target }));
    const family = new FamilyEncoding(new LabelPairs());
    const first = family.encode(sets, 3, gauges([1, 2, 3]));
    first.inUse = false;
    const second = family.encode(sets, 3, gauges([1, 7, 3]));
    assert.equal(second, first, 'the same encoding, written over');
    assert.equal(family.encodedSeries, 1);
    assert.ok(second.bytes.subarray(0, second.size).equals(fresh(sets, [1, 7, 3])));
    second.inUse = false;
    // Another series: encoded apart, the last one read.
    const third = family.encode([...sets, { target: 'd' }], 4, gauges([1, 7, 3, 4]));
    assert.notEqual(third, second);
    assert.ok(third.bytes.subarray(0, third.size).equals(fresh([...sets, { target: 'd' }], [1, 7, 3, 4])));
  });

  it('never writes over an encoding a rendering still copies out', () => {
    const sets = ['a', 'b'].map((target) => ({ target }));
    const family = new FamilyEncoding(new LabelPairs());
    const held = family.encode(sets, 2, gauges([1, 2]));
    const before = Buffer.from(held.bytes.subarray(0, held.size));
    // Two more scrapes while the first is still being sent: the second reuses nothing in use.
    family.encode(sets, 2, gauges([3, 4])).inUse = false;
    const third = family.encode(sets, 2, gauges([5, 6]));
    assert.notEqual(third, held);
    assert.ok(held.bytes.subarray(0, held.size).equals(before));
    assert.deepEqual(decode(Buffer.from(third.bytes.subarray(0, third.size))), [
      ['a', 5],
      ['b', 6],
    ]);
  });

  it('gives back the bytes of a family that shrank', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ target: `t${i}` }));
    const family = new FamilyEncoding(new LabelPairs());
    for (let k = 0; k < 2; k++) family.encode(many, many.length, gauges(many.map(() => k))).inUse = false;
    const large = family.encode(many, many.length, gauges(many.map(() => 7)));
    large.inUse = false;
    assert.ok(large.bytes.length > 65_536);
    const one = many.slice(0, 1);
    for (let k = 0; k < 3; k++) {
      const small = family.encode(one, 1, gauges([k]));
      small.inUse = false;
      assert.ok(
        small.bytes.length <= 4 * small.size + 65_536 + 4096 || k === 0,
        `scrape ${k} after shrinking`,
      );
    }
  });
});
