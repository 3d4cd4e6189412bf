import type { Attributes } from '@opentelemetry/api';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { PrometheusProtobufWriter, ProtobufFamily } from './prometheus-protobuf';
import type { PrometheusTextWriter } from './prometheus-text';
import { CONTENT_TYPE } from './scrape-format';
import type { StoreSnapshot } from './store-snapshot';
import type { TextChunks } from './text-chunks';

/** One metric's share of the answer: its header, then its series in slices. */
export interface Family {
  readonly length: number;
  header(out: TextChunks): void;
  samples(out: TextChunks, start: number, end: number): void;
}

/** What a rendering writes of one collection, in one format (SharedRendering paces it). */
export interface Exposition {
  readonly contentType: string;
  targetInfo(out: TextChunks, attributes: Attributes): void;
  /** The SDK's metrics, then the store's. */
  families(resourceMetrics: ResourceMetrics, snapshot: StoreSnapshot | undefined): Iterable<Family>;
  /** After the last family: what the format can say of `errors` collection errors. */
  end(out: TextChunks, errors: number): void;
}

/** The text format, as the exporter has always written it. */
export function textExposition(writer: PrometheusTextWriter): Exposition {
  return {
    contentType: CONTENT_TYPE.text,
    targetInfo: (out, attributes) => out.add(writer.targetInfo(attributes)),
    *families(resourceMetrics, snapshot) {
      for (const { metrics } of resourceMetrics.scopeMetrics) {
        for (const metric of metrics) {
          yield {
            length: metric.dataPoints.length,
            header: (out) => out.add(writer.header(metric)),
            samples: (out, start, end) => out.add(writer.samples(metric, start, end)),
          };
        }
      }
      for (const column of snapshot?.columns ?? []) {
        yield {
          length: column.length,
          header: (out) => out.add(writer.columnHeader(column)),
          samples: (out, start, end) => out.add(writer.columnSamples(column, start, end)),
        };
      }
    },
    end: (out, errors) => {
      if (errors > 0) out.add(`# ${errors} collection error(s)\n`);
    },
  };
}

/** The delimited MetricFamily protobuf exposition; it has no room for a note of collection errors. */
export function protobufExposition(writer: PrometheusProtobufWriter): Exposition {
  const family = (proto: ProtobufFamily): Family => ({
    length: proto.length,
    header: (out) => out.addBytes(proto.header()),
    samples: (out, start, end) => proto.write(out, start, Math.min(end, proto.length)),
  });
  return {
    contentType: CONTENT_TYPE.protobuf,
    targetInfo: (out, attributes) => out.addBytes(writer.targetInfo(attributes)),
    *families(resourceMetrics, snapshot) {
      for (const { metrics } of resourceMetrics.scopeMetrics) {
        for (const metric of metrics) yield family(writer.metric(metric));
      }
      for (const column of snapshot?.columns ?? []) yield family(writer.column(column));
    },
    end: () => {},
  };
}
