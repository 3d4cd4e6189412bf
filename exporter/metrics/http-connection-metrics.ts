import type { Meter } from '@opentelemetry/api';
import { createObserved, type MetricStore } from './metric-store';
import { METRIC } from './names';
import type { ObservedBinding, ObservedSpec } from './observed';

/** Why the server closed a connection itself (the client closing is not counted). */
const REASONS = ['evicted', 'refused', 'timeout', 'bad_request'] as const;

/** The HTTP server's connection counts (ExporterServer.connectionStats() has this shape). */
export interface HttpConnectionStats {
  readonly open: number;
  readonly maxConnections: number;
  readonly closed: Readonly<Record<(typeof REASONS)[number], number>>;
}

const OPEN: ObservedSpec = {
  name: METRIC.httpConnections,
  description: 'HTTP connections open now (TLS handshakes and idle keep-alive ones included).',
  kind: 'gauge',
};

const MAX: ObservedSpec = {
  name: METRIC.httpConnectionsMax,
  description: 'The cap on open HTTP connections (--web.max-connections).',
  kind: 'gauge',
};

const CLOSED: ObservedSpec = {
  name: METRIC.httpConnectionsClosed,
  description:
    'HTTP connections the server closed, by reason: evicted (the oldest idle one, to make room at the cap), ' +
    'refused (at the cap, every connection had a request in flight), timeout (headers, request or TLS ' +
    'handshake deadline, or nothing read or written with a request in flight), bad_request (refused by ' +
    'the HTTP parser or TLS).',
  kind: 'counter',
};

/** `netdiag_http_connections`, `netdiag_http_connections_max`, `netdiag_http_connections_closed_total{reason}` (every reason from 0). */
export function observeHttpConnections(
  meter: Meter,
  store: MetricStore | undefined,
  stats: () => HttpConnectionStats,
): ObservedBinding {
  return createObserved(meter, store, [OPEN, MAX, CLOSED], (emit) => {
    const now = stats();
    emit(OPEN, now.open, {});
    emit(MAX, now.maxConnections, {});
    for (const reason of REASONS) emit(CLOSED, now.closed[reason], { reason });
  });
}
