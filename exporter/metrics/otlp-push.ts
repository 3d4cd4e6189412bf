import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import {
  PeriodicExportingMetricReader,
  type AggregationOption,
  type AggregationTemporality,
  type InstrumentType,
  type MetricProducer,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ExporterError } from '../errors';

/** Where and how often metrics are pushed; resolved from the config and the environment beforehand. */
export interface OtlpPushOptions {
  /** The full URL of the receiver's metrics path, e.g. http://collector:4318/v1/metrics. */
  url: string;
  intervalMs: number;
  /** Of one push, HTTP retries included; at most intervalMs. */
  timeoutMs: number;
  /** Over those of OTEL_EXPORTER_OTLP_HEADERS / OTEL_EXPORTER_OTLP_METRICS_HEADERS. */
  headers: Readonly<Record<string, string>>;
  /** Called with each failed push (the collector down, a 4xx/5xx): the SDK would only tell its diag logger. */
  onError?: (error: Error) => void;
}

/**
 * A reader that pushes every `intervalMs` over OTLP/HTTP (JSON, cumulative temporality), reading the
 * MeterProvider's instruments and `producers` (the exporter's MetricStore). Shut down with its
 * MeterProvider, it pushes one last time.
 */
export function createOtlpReader(
  options: OtlpPushOptions,
  producers: MetricProducer[],
): PeriodicExportingMetricReader {
  const exporter = new OTLPMetricExporter({
    url: options.url,
    headers: { ...options.headers },
    timeoutMillis: options.timeoutMs,
  });
  return new PeriodicExportingMetricReader({
    exporter: options.onError ? new ReportingExporter(exporter, options.onError) : exporter,
    exportIntervalMillis: options.intervalMs,
    exportTimeoutMillis: options.timeoutMs,
    metricProducers: producers,
  });
}

type ExportResult = Parameters<Parameters<PushMetricExporter['export']>[1]>[0];

/** ExportResultCode.SUCCESS of @opentelemetry/core, which is not a dependency of ours. */
const EXPORT_SUCCESS = 0;

/** Hands failed pushes to a callback, otherwise passes everything through. */
class ReportingExporter implements PushMetricExporter {
  constructor(
    private readonly inner: OTLPMetricExporter,
    private readonly onError: (error: Error) => void,
  ) {}

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      if (result.code !== EXPORT_SUCCESS)
        this.onError(result.error ?? new ExporterError('ERR_OTLP_EXPORT', 'OTLP export failed'));
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  selectAggregationTemporality(type: InstrumentType): AggregationTemporality {
    return this.inner.selectAggregationTemporality(type);
  }

  selectAggregation(type: InstrumentType): AggregationOption {
    return this.inner.selectAggregation(type);
  }
}
