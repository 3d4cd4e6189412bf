export type { ExporterMetricsOptions, PingSeries, ProbeName, SeriesLabels } from './exporter-metrics';
export { ExporterMetrics } from './exporter-metrics';
export { METRIC } from './names';
export type { PrometheusPipeline } from './pipeline';
export { createPrometheusPipeline, netdiagViews } from './pipeline';
export { RollingWindow } from './rolling-window';
