import { OTLP_METRICS_PATH, otlpEndpointProblem, type OtlpConfig } from '../config';
import { usageError } from '../errors';
import type { OtlpPushOptions } from '../metrics';
import { envValue, type Environment } from './environment';

const DEFAULT_OTLP_URL = `http://localhost:4318${OTLP_METRICS_PATH}`;
const DEFAULT_OTLP_INTERVAL_MS = 60_000;
/** OTEL_EXPORTER_OTLP_TIMEOUT's default: it bounds the HTTP request, retries included. */
const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

export interface OtlpSettings extends Omit<OtlpPushOptions, 'onError'> {
  /** Where each value came from, for the startup log: `config`, a variable's name, or `default`. */
  sources: { url: string; interval: string; timeout: string };
  /** Settings that had to be adjusted, to log. */
  warnings: string[];
}

/**
 * Whether and how to push over OTLP. On when the config has an `otlp` block or
 * OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT is set. Each setting comes from the
 * config (explicit configuration wins, as the OTel spec advises), else its standard variable, else
 * the default:
 *
 *   url       otlp.endpoint | OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (as is) |
 *             OTEL_EXPORTER_OTLP_ENDPOINT + /v1/metrics | http://localhost:4318/v1/metrics
 *   interval  otlp.interval | OTEL_METRIC_EXPORT_INTERVAL (ms) | 60s
 *   timeout   otlp.timeout  | OTEL_METRIC_EXPORT_TIMEOUT | OTEL_EXPORTER_OTLP_METRICS_TIMEOUT |
 *             OTEL_EXPORTER_OTLP_TIMEOUT (ms) | 10s; at most the interval. One value bounds both the
 *             collection-and-push and its HTTP request (retries included).
 *   headers   otlp.headers over OTEL_EXPORTER_OTLP_HEADERS / _METRICS_HEADERS (merged by the OTLP package)
 *
 * Pushes are OTLP/HTTP with JSON bodies, which every OTLP/HTTP receiver takes: a protocol variable
 * other than http/json or http/protobuf (grpc) only gets a warning.
 *
 * An invalid variable is a usage error rather than silently ignored: a push that goes nowhere would
 * otherwise go unnoticed.
 */
export function resolveOtlpSettings(
  otlp: OtlpConfig | undefined,
  env: Environment,
): OtlpSettings | undefined {
  const metricsEndpoint = envUrl(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT');
  const baseEndpoint = envUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!otlp && !metricsEndpoint && !baseEndpoint) return undefined;
  const [url, urlSource] = otlp?.endpoint
    ? [otlp.endpoint, 'config']
    : metricsEndpoint
      ? [metricsEndpoint, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT']
      : baseEndpoint
        ? [appendMetricsPath(baseEndpoint), 'OTEL_EXPORTER_OTLP_ENDPOINT']
        : [DEFAULT_OTLP_URL, 'default'];
  const [intervalMs, intervalSource] = setting(
    otlp?.interval,
    env,
    ['OTEL_METRIC_EXPORT_INTERVAL'],
    DEFAULT_OTLP_INTERVAL_MS,
  );
  let [timeoutMs, timeoutSource] = setting(
    otlp?.timeout,
    env,
    ['OTEL_METRIC_EXPORT_TIMEOUT', 'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'],
    DEFAULT_OTLP_TIMEOUT_MS,
  );
  const warnings: string[] = [];
  for (const name of ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = envValue(env, name);
    if (protocol !== undefined && !protocol.startsWith('http/'))
      warnings.push(`${name}=${protocol} is not supported: pushing OTLP/HTTP (JSON) to ${url}`);
  }
  if (timeoutMs > intervalMs) {
    if (timeoutSource !== 'default')
      warnings.push(
        `OTLP timeout ${timeoutMs}ms (${timeoutSource}) exceeds the interval ${intervalMs}ms (${intervalSource}): using ${intervalMs}ms`,
      );
    [timeoutMs, timeoutSource] = [intervalMs, `${timeoutSource}, capped at the interval`];
  }
  return {
    url,
    intervalMs,
    timeoutMs,
    headers: otlp?.headers ?? {},
    sources: { url: urlSource, interval: intervalSource, timeout: timeoutSource },
    warnings,
  };
}

/** The spec's rule for the signal-less endpoint: the signal's path appended to the base path. */
function appendMetricsPath(base: string): string {
  return `${base.endsWith('/') ? base.slice(0, -1) : base}${OTLP_METRICS_PATH}`;
}

function envUrl(env: Environment, name: string): string | undefined {
  const text = envValue(env, name);
  const problem = text === undefined ? undefined : otlpEndpointProblem(text);
  if (problem) throw usageError(`${name}: ${problem}`);
  return text;
}

function setting(
  configured: number | undefined,
  env: Environment,
  names: readonly string[],
  fallback: number,
): [number, string] {
  if (configured !== undefined) return [Math.round(configured * 1000), 'config'];
  const name = names.find((candidate) => envValue(env, candidate) !== undefined);
  const text = name && envValue(env, name);
  if (!name || text === undefined) return [fallback, 'default'];
  const ms = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(ms > 0 && ms <= 86_400_000))
    throw usageError(`${name}: "${text}" is not a number of milliseconds from 1 to 86400000`);
  return [ms, name];
}
