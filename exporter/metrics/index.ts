export type { ExporterMetricsOptions, PingSeries, ProbeName, SeriesLabels } from './exporter-metrics';
export { ExporterMetrics } from './exporter-metrics';
export { METRIC } from './names';
export type { PrometheusPipeline } from './pipeline';
export { createPrometheusPipeline, netdiagViews } from './pipeline';
export { RollingWindow } from './rolling-window';
export type { ScrapeHandlerOptions } from './scrape-handler';
export { createScrapeHandler } from './scrape-handler';
