/**
 * Field numbers of Prometheus' client_model messages that the protobuf exposition writes, by the
 * schema's field names in camelCase (the schema: proto/io/prometheus/client/metrics.proto, vendored
 * for the tests, which check every number here against it by name). Every number is below 16, so
 * each tag is one byte: the *Size functions of proto-writer.ts count on it.
 */
export const CLIENT_MODEL_FIELDS = {
  MetricFamily: { name: 1, help: 2, type: 3, metric: 4 },
  Metric: { label: 1, gauge: 2, counter: 3, histogram: 7 },
  LabelPair: { name: 1, value: 2 },
  Gauge: { value: 1 },
  Counter: { value: 1 },
  Histogram: {
    sampleCount: 1,
    sampleSum: 2,
    bucket: 3,
    schema: 5,
    zeroThreshold: 6,
    zeroCount: 7,
    negativeSpan: 9,
    negativeDelta: 10,
    positiveSpan: 12,
    positiveDelta: 13,
  },
  Bucket: { cumulativeCount: 1, upperBound: 2 },
  BucketSpan: { offset: 1, length: 2 },
} as const;

/** client_model's MetricType values. */
export const METRIC_TYPE = { counter: 0, gauge: 1, untyped: 3, histogram: 4 } as const;
