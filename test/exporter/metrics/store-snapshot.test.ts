import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MetricStore, PrometheusTextWriter, type ObservedSpec } from '../../../exporter/metrics';

const GAUGE: ObservedSpec = { name: 'g_ratio', description: 'a gauge\nwith \\ escapes', kind: 'gauge' };
const COUNTER: ObservedSpec = { name: 'c', description: '', unit: 'packets', kind: 'counter' };
const TOTAL: ObservedSpec = { name: 'done_total', description: 'already suffixed', kind: 'counter' };
const EMPTY: ObservedSpec = { name: 'never_seen', description: 'no series', kind: 'gauge' };

/** A store with every kind of column and every escaping case; `series` grows a column past its capacity. */
function sampleStore(series: number): MetricStore {
  const store = new MetricStore();
  const odd = { target: 'a"b\\c\nd', n: 7, flag: true };
  store.observe([GAUGE, COUNTER, TOTAL, EMPTY], (emit) => {
    emit(GAUGE, Infinity, { s: '+' });
    emit(GAUGE, -Infinity, { s: '-' });
    emit(GAUGE, 1e-7, odd);
    for (let i = 0; i < series; i++) emit(COUNTER, i * 1.5, { i: String(i) });
    emit(TOTAL, 3, {});
  });
  const histogram = store.histogram({
    name: 'h_seconds',
    description: 'h',
    unit: 's',
    boundaries: [0.001, 0.5],
  });
  histogram.record(0.2, odd);
  histogram.record(0.0001, odd);
  histogram.record(7, odd);
  const other = { i: 'other' };
  histogram.record(0.5, other);
  const gone = { i: 'gone' };
  histogram.record(0.5, gone);
  histogram.forget(gone);
  store.histogram({ name: 'h_empty', description: '', unit: '', boundaries: [1] });
  return store;
}

function writeColumns(store: MetricStore, writer = new PrometheusTextWriter()): string {
  let text = '';
  for (const column of store.snapshot().columns) {
    text += writer.columnHeader(column) + writer.columnSamples(column, 0, column.length);
  }
  return text;
}

describe('MetricStore.snapshot and the column writer', () => {
  it('write exactly what the OpenTelemetry serializer writes of the store’s data points', async () => {
    for (const series of [0, 3, 100]) {
      const store = sampleStore(series);
      const { resourceMetrics } = await store.collect();
      const serialized = new PrometheusSerializer('', false, undefined, false, true).serialize(
        resourceMetrics,
      );
      // The serializer writes target_info of the (empty) resource first; the scrape handler writes it once.
      const expected = serialized.replace(/^# HELP target_info[^]*?\ntarget_info[^\n]*\n/, '');
      assert.equal(writeColumns(store), expected, `${series} series`);
    }
  });

  it('reads histograms into columns: count, sum, min, max, then the buckets, per series', () => {
    const store = sampleStore(0);
    const column = store.snapshot().columns.find((c) => c.descriptor.name === 'h_seconds');
    assert.ok(column?.kind === 'histogram');
    assert.equal(column.length, 2);
    assert.equal(column.stride, 4 + 3);
    assert.deepEqual([...column.values.subarray(0, column.stride)], [3, 7.2001, 0.0001, 7, 1, 1, 1]);
    assert.deepEqual([...column.values.subarray(column.stride)], [1, 0.5, 0.5, 0.5, 0, 1, 0]);
  });

  it('writes any slice of a column, and the same text again from its caches', () => {
    const store = sampleStore(20);
    const writer = new PrometheusTextWriter();
    for (const column of store.snapshot().columns) {
      const whole = writer.columnSamples(column, 0, column.length);
      let pieces = '';
      for (let i = 0; i < column.length; i++) pieces += writer.columnSamples(column, i, i + 1);
      assert.equal(pieces, whole);
      assert.equal(writer.columnSamples(column, 0, column.length + 5), whole);
    }
  });

  it('keeps a snapshot unchanged while the store moves on', () => {
    const store = new MetricStore();
    let value = 1;
    store.observe([COUNTER], (emit) => emit(COUNTER, value, {}));
    const first = store.snapshot();
    value = 2;
    const second = store.snapshot();
    assert.equal(first.columns[0]?.values[0], 1);
    assert.equal(second.columns[0]?.values[0], 2);
  });
});
