import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// The OTLP/HTTP JSON encoding (opentelemetry-proto's JSON mapping) of an export request, as far as
// the tests read it. 64-bit integers arrive as strings or numbers.

export interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpNumberPoint {
  attributes?: OtlpKeyValue[];
  asInt?: string | number;
  asDouble?: number;
  timeUnixNano?: string | number;
}

export interface OtlpHistogramPoint {
  attributes?: OtlpKeyValue[];
  count: string | number;
  sum?: number;
  bucketCounts: Array<string | number>;
  explicitBounds: number[];
}

export interface OtlpExponentialHistogramPoint {
  attributes?: OtlpKeyValue[];
  count: string | number;
  sum?: number;
  scale?: number;
  zeroCount?: string | number;
  positive?: { offset?: number; bucketCounts?: Array<string | number> };
  negative?: { offset?: number; bucketCounts?: Array<string | number> };
}

export interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: OtlpNumberPoint[]; aggregationTemporality: number; isMonotonic?: boolean };
  gauge?: { dataPoints: OtlpNumberPoint[] };
  histogram?: { dataPoints: OtlpHistogramPoint[]; aggregationTemporality: number };
  exponentialHistogram?: { dataPoints: OtlpExponentialHistogramPoint[]; aggregationTemporality: number };
}

export interface OtlpExportRequest {
  resourceMetrics: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeMetrics: Array<{ scope?: { name?: string }; metrics: OtlpMetric[] }>;
  }>;
}

export interface ReceivedExport {
  path: string;
  headers: IncomingHttpHeaders;
  body: OtlpExportRequest;
  /** Date.now() at arrival. */
  at: number;
}

/** The plain value of an attribute. */
export function anyValue(value: OtlpAnyValue): string | number | boolean | undefined {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue;
}

export function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    const plain = anyValue(value);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

/** Every metric of a request named `name`, across its resources and scopes. */
export function metricsNamed(request: OtlpExportRequest, name: string): OtlpMetric[] {
  return request.resourceMetrics.flatMap((rm) =>
    rm.scopeMetrics.flatMap((sm) => sm.metrics.filter((metric) => metric.name === name)),
  );
}

export function resourceOf(request: OtlpExportRequest): Record<string, string | number | boolean> {
  return attributesOf(request.resourceMetrics[0]?.resource?.attributes);
}

/**
 * A minimal OTLP/HTTP receiver: accepts POSTs of JSON export requests on any path, answers 200 `{}`
 * (or `status` when set), and keeps what it received. Protobuf bodies are refused with 415.
 */
export class OtlpReceiver {
  readonly received: ReceivedExport[] = [];
  /** The status the next requests get; 200 by default. */
  status = 200;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly server: Server) {}

  static async listen(
    host = '127.0.0.1',
    onExport?: (request: ReceivedExport) => void,
  ): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method !== 'POST' || !request.headers['content-type']?.startsWith('application/json')) {
          response.writeHead(415).end();
          return;
        }
        const entry: ReceivedExport = {
          path: request.url ?? '',
          headers: request.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExportRequest,
          at: Date.now(),
        };
        receiver.received.push(entry);
        onExport?.(entry);
        for (const wake of receiver.waiters) wake();
        response.writeHead(receiver.status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.listen(0, host);
    await once(server, 'listening');
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resolves once `count` exports have arrived in all. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<ReceivedExport[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.received.length} of ${count} OTLP exports arrived in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          receiverWaiters.delete(done);
          resolve();
        }
        const receiverWaiters = this.waiters;
        receiverWaiters.add(done);
      });
    }
    return this.received.slice(0, count);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
