import type { Attributes, MeterProvider as MeterProviderApi } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { MetricStore } from './metric-store';
import { METRIC } from './names';
import { createOtlpReader, type OtlpPushOptions } from './otlp-push';

/** The RTT histograms: the instruments an exponential aggregation applies to. */
const RTT_HISTOGRAMS: readonly string[] = [METRIC.pingRtt, METRIC.knockRtt, METRIC.traceProbeRtt];

export interface NetdiagViewsOptions {
  /**
   * The RTT histograms as exponential histograms (the SDK's base-2 exponential aggregation, whose
   * scale Prometheus reads as a native histogram's schema), keeping at most `maxSize` buckets per
   * sign (the SDK's default 160); classic explicit buckets when absent.
   */
  exponentialHistograms?: { maxSize?: number };
}

/**
 * Views to add to any MeterProvider that runs the exporter's instruments: they lift the SDK's
 * default cap of 2000 attribute sets per metric, past which series silently fold into an overflow
 * one, and can select the exponential aggregation for the RTT histograms.
 */
export function netdiagViews(cardinalityLimit: number, options: NetdiagViewsOptions = {}): ViewOptions[] {
  const exponential = options.exponentialHistograms;
  if (!exponential) return [{ instrumentName: 'netdiag_*', aggregationCardinalityLimit: cardinalityLimit }];
  // One view per name: an instrument two views select would be exported twice.
  return Object.values(METRIC).map((instrumentName) => ({
    instrumentName,
    aggregationCardinalityLimit: cardinalityLimit,
    ...(RTT_HISTOGRAMS.includes(instrumentName) && {
      aggregation: {
        type: AggregationType.EXPONENTIAL_HISTOGRAM,
        options: {
          recordMinMax: true,
          ...(exponential.maxSize !== undefined && { maxSize: exponential.maxSize }),
        },
      },
    }),
  }));
}

export interface PrometheusPipeline {
  meterProvider: MeterProviderApi;
  /** Reads the SDK's instruments only: a scrape reads `store` itself (`createScrapeHandler`). */
  exporter: PrometheusExporter;
  /** The exporter's own metrics; also a producer of the OTLP reader. */
  store: MetricStore;
  shutdown(): Promise<void>;
}

/**
 * The standalone exporter's own MeterProvider, read by a Prometheus exporter that we serve ourselves
 * and, with `otlp`, pushed over OTLP/HTTP too. Both read the same resource: `target_info` on the
 * Prometheus side.
 */
export function createPrometheusPipeline(options: {
  cardinalityLimit: number;
  /** Over service.name=netdiag-exporter. */
  resource?: Attributes;
  otlp?: OtlpPushOptions;
}): PrometheusPipeline {
  const store = new MetricStore();
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true,
  });
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'netdiag-exporter', ...options.resource }),
    views: netdiagViews(options.cardinalityLimit),
    readers: options.otlp ? [exporter, createOtlpReader(options.otlp, [store])] : [exporter],
  });
  let done: Promise<void> | undefined;
  return {
    meterProvider,
    exporter,
    store,
    shutdown: () => (done ??= meterProvider.shutdown()),
  };
}
