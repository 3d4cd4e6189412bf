import { isScalar } from 'yaml';
import { isNull, present, quote, type Entry, type Field, type Reader } from './reader';
import { redactUrl } from './redact-url';
import { readDuration, readString } from './scalars';
import type { OtlpConfig } from './types';
import { scalarText } from './yaml-document';

const OTLP_KEYS = ['endpoint', 'interval', 'timeout', 'headers', 'resource_attributes'] as const;

/** Where an OTLP/HTTP receiver takes metrics when the endpoint names no path. */
export const OTLP_METRICS_PATH = '/v1/metrics';

/** RFC 9110 token: the characters of a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Reads the `otlp` block. The key enables OTLP push even when its value is empty (`otlp:` or
 * `otlp: {}`): every setting then comes from the OTEL_* environment variables or the defaults.
 */
export function readOtlp(r: Reader, field: Field): OtlpConfig | undefined {
  const entries = isNull(field) ? new Map<string, Entry>() : r.map(field, OTLP_KEYS);
  if (!entries) return undefined;
  const endpointField = present(entries.get('endpoint'));
  const intervalField = present(entries.get('interval'));
  const timeoutField = present(entries.get('timeout'));
  const headersField = present(entries.get('headers'));
  const attributesField = present(entries.get('resource_attributes'));
  const endpoint = endpointField && readEndpoint(r, endpointField);
  const interval = intervalField && readDuration(r, intervalField);
  const timeout = timeoutField && readDuration(r, timeoutField);
  if (interval && timeout && timeoutField && timeout.value > interval.value)
    r.report(timeoutField, `timeout ${timeout.text} exceeds interval ${interval.text}`);
  const headers = headersField ? readStringMap(r, headersField, headerNameProblem, headerValueProblem) : {};
  const resourceAttributes = attributesField
    ? readStringMap(r, attributesField, attributeKeyProblem, () => undefined)
    : {};
  const valid =
    (!endpointField || endpoint) &&
    (!intervalField || interval) &&
    (!timeoutField || timeout) &&
    headers &&
    resourceAttributes;
  if (!valid) return undefined;
  return {
    ...(endpoint && { endpoint }),
    ...(interval && { interval: interval.value }),
    ...(timeout && { timeout: timeout.value }),
    headers,
    resourceAttributes,
  };
}

/**
 * An http(s) URL, the full address metrics are POSTed to (as OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
 * one without a path (`http://collector:4318`) gets /v1/metrics, as no receiver listens at `/`.
 */
export function otlpEndpointProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${quote(text)} is not a URL: write e.g. http://collector:4318${OTLP_METRICS_PATH}`;
  }
  // Redacted: the value may come from an environment variable and carry credentials.
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `${quote(redactUrl(text))} is not an http:// or https:// URL`;
  return undefined;
}

/** The URL an endpoint that passed otlpEndpointProblem is pushed to. */
function otlpMetricsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' && url.search === '') url.pathname = OTLP_METRICS_PATH;
  return url.href;
}

function readEndpoint(r: Reader, field: Field): string | undefined {
  const text = readString(r, field);
  if (text === undefined) return undefined;
  const problem = otlpEndpointProblem(text);
  if (problem) r.report(field, problem);
  return problem ? undefined : otlpMetricsUrl(text);
}

function headerNameProblem(name: string): string | undefined {
  return HEADER_NAME.test(name) ? undefined : `header name ${quote(name)} is not a valid HTTP header name`;
}

function headerValueProblem(value: string): string | undefined {
  return /[\r\n\0]/.test(value) ? 'header value must not contain CR, LF or NUL' : undefined;
}

function attributeKeyProblem(key: string): string | undefined {
  return key === '' ? 'resource attribute key must not be empty' : undefined;
}

/** A mapping of strings; numbers and booleans are taken as written (`rack: 01` is "01"). */
function readStringMap(
  r: Reader,
  field: Field,
  keyProblem: (key: string) => string | undefined,
  valueProblem: (value: string) => string | undefined,
): Record<string, string> | undefined {
  const entries = r.map(field);
  if (!entries) return undefined;
  const values: Array<[string, string]> = [];
  let valid = true;
  for (const [name, { key, value }] of entries) {
    const problem = keyProblem(name);
    if (problem) r.report(key, problem);
    const { node } = value;
    const text =
      isScalar(node) && node.value !== null && typeof node.value !== 'object' ? scalarText(node) : undefined;
    const invalid = text === undefined ? r.expected(value, 'a string') : valueProblem(text);
    if (text !== undefined && invalid) r.report(value, invalid);
    if (problem || text === undefined || invalid) valid = false;
    else values.push([name, text]);
  }
  return valid ? Object.fromEntries(values) : undefined;
}
