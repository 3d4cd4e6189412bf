export type {
  ExporterMetricsOptions,
  KernelDropsSource,
  PingSeries,
  ProbeName,
  SeriesLabels,
  SocketsSnapshot,
  SocketStatsSource,
} from './exporter-metrics';
export type { KnockOutcome, KnockSeries } from './knock-metrics';
export { KnockMetrics } from './knock-metrics';
export type { TraceHopOutcome, TraceRound, TraceSeries } from './trace-metrics';
export { TraceMetrics } from './trace-metrics';
export { ExporterMetrics } from './exporter-metrics';
export { METRIC } from './names';
export { observeLogSuppression } from './log-metrics';
export type { HttpConnectionStats } from './http-connection-metrics';
export { observeHttpConnections } from './http-connection-metrics';
export type { NetdiagViewsOptions, PrometheusPipeline } from './pipeline';
export { createPrometheusPipeline, netdiagViews } from './pipeline';
export type { OtlpPushOptions } from './otlp-push';
export { createOtlpReader } from './otlp-push';
export { RollingWindow } from './rolling-window';
export type {
  ScrapeHandler,
  ScrapeHandlerOptions,
  ScrapeOutcome,
  ScrapeResult,
  ScrapeSource,
} from './scrape-handler';
export { createScrapeHandler, SCRAPE_LOG_CODES } from './scrape-handler';
export { PrometheusTextWriter } from './prometheus-text';
export type { HistogramSink, HistogramSpec } from './metric-store';
export type { NativeHistogramOptions, NativeHistogramSettings } from './native-histogram';
export { nativeHistogramOptions } from './native-histogram';
export { bucketIndex, MetricStore } from './metric-store';
export type { Emit, ObservedBinding, ObservedCollect, ObservedSpec } from './observed';
export { observeWithMeter } from './observed';
export type {
  ColumnDescriptor,
  HistogramColumn,
  MetricColumn,
  ScalarColumn,
  StoreSnapshot,
} from './store-snapshot';
export { columnToMetricData } from './store-snapshot';
