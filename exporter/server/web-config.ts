import * as path from 'node:path';
import type { SecureVersion } from 'node:tls';
import { isScalar } from 'yaml';
import { openConfigDocument } from '../config/open-document';
import { ConfigError, type ConfigIssue } from '../config/issue';
import { type Field, isNull, issueAt, present, quote, Reader } from '../config/reader';
import { readInteger, readDuration, readString } from '../config/scalars';
import { parseDuration } from '../config/duration';
import { scalarText } from '../config/yaml-document';
import {
  CIPHER_SUITES,
  CLIENT_AUTH_TYPES,
  type ClientAuthType,
  CURVES,
  EXTRA_HEADERS,
  TLS_VERSIONS,
} from './go-tls-names';

/** Where a value is written, for errors found after parsing (an unreadable cert_file, say). */
export type Where = Omit<ConfigIssue, 'message'>;

/** PEM text given inline (`cert`) or as a file (`cert_file`, resolved against the web config's folder). */
export type PemSource = ({ file: string } | { pem: string }) & { readonly at: Where };

export interface TlsServerConfig {
  /** Where `tls_server_config` is. */
  readonly at: Where;
  readonly cert: PemSource;
  readonly key: PemSource;
  readonly clientCa?: PemSource;
  /** Default NoClientCert. */
  readonly clientAuth: ClientAuthType;
  /** Default TLSv1.2. */
  readonly minVersion: SecureVersion;
  /** Default TLSv1.3. */
  readonly maxVersion: SecureVersion;
  /** OpenSSL names of the TLS ≤ 1.2 suites; undefined: OpenSSL's defaults. */
  readonly ciphers?: readonly string[];
  /** OpenSSL names of the ECDHE curves in preference order; undefined: Node's default. */
  readonly curves?: readonly string[];
  /**
   * `client_allowed_sans`: a client certificate is accepted only if one of its subject alternative
   * names (DNS, email, IP, URI, as written) is in the list; undefined: any. Only with a client_auth_type
   * that requires a certificate, as exporter-toolkit requires.
   */
  readonly allowedSans?: readonly string[];
}

/** `rate_limit`: one token bucket for every request of the server, as exporter-toolkit's (golang.org/x/time/rate). */
export interface RateLimitConfig {
  /** Seconds to earn one token back. */
  readonly intervalSeconds: number;
  /** Tokens the bucket holds, and holds at start. */
  readonly burst: number;
}

/** A `--web.config.file` in exporter-toolkit's format. */
export interface WebConfig {
  readonly file: string;
  /** Undefined: plain HTTP (as in exporter-toolkit, when no certificate, key, CA or client_auth_type is set). */
  readonly tls?: TlsServerConfig;
  /** Response headers added to every answer. */
  readonly headers: Readonly<Record<string, string>>;
  /** User → bcrypt hash; empty: no basic auth. */
  readonly users: ReadonlyMap<string, string>;
  /** Undefined: no rate limit. */
  readonly rateLimit?: RateLimitConfig;
}

const ROOT_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'];
const TLS_KEYS = [
  'cert',
  'key',
  'client_ca',
  'cert_file',
  'key_file',
  'client_ca_file',
  'client_auth_type',
  'client_allowed_sans',
  'min_version',
  'max_version',
  'cipher_suites',
  'prefer_server_cipher_suites',
  'curve_preferences',
];
const HTTP_KEYS = ['http2', 'headers'];
const RATE_LIMIT_KEYS = ['interval', 'burst'];
/** The client_auth_types under which a client always presents a certificate to match SANs against. */
const SANS_NEED: readonly ClientAuthType[] = ['RequireAnyClientCert', 'RequireAndVerifyClientCert'];
const VERSION_ORDER = Object.values(TLS_VERSIONS);

/** `$2a$`, `$2b$` or `$2y$`, a two-digit cost, 22 characters of salt and 31 of hash. */
const BCRYPT_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const MIN_BCRYPT_COST = 4;
const MAX_BCRYPT_COST = 31;

/**
 * Parses and validates a web config (without reading the files it names). Throws a ConfigError with
 * every problem as `FILE:LINE:COL: key.path: message`. An empty file configures nothing, as in
 * exporter-toolkit.
 */
export function parseWebConfig(text: string | Buffer, file: string): WebConfig {
  const { r, lines } = openConfigDocument(text, file);
  const locate = (field: Field): Where => {
    const { message: _message, ...where } = issueAt(file, lines, field, '');
    return where;
  };
  const config = readWebConfig({ r, locate, dir: path.dirname(file) }, file);
  if (!config || r.failed) throw new ConfigError(r.issues, { omitted: r.omitted });
  return config;
}

/** The Reader with what the web config's readers need besides. */
interface WebReader {
  readonly r: Reader;
  readonly locate: (field: Field) => Where;
  /** Relative file names are resolved against the web config's folder, as exporter-toolkit does. */
  readonly dir: string;
}

function readWebConfig(w: WebReader, file: string): WebConfig | undefined {
  const { r } = w;
  const root = r.root();
  if (!root || isNull(root)) return { file, headers: {}, users: new Map() };
  const entries = r.map(root, ROOT_KEYS);
  if (!entries) return undefined;
  const tlsField = present(entries.get('tls_server_config'));
  const tls = tlsField ? readTls(w, tlsField) : null;
  const httpField = present(entries.get('http_server_config'));
  const headers = httpField ? readHttp(r, httpField) : {};
  const usersField = present(entries.get('basic_auth_users'));
  const users = usersField ? readUsers(r, usersField) : new Map<string, string>();
  const rateField = present(entries.get('rate_limit'));
  const rateLimit = rateField ? readRateLimit(r, rateField) : null;
  if (tls === undefined || !headers || !users || rateLimit === undefined) return undefined;
  return { file, ...(tls && { tls }), headers, users, ...(rateLimit && { rateLimit }) };
}

/**
 * Null: no limit (absent, no interval, or a zero one, as exporter-toolkit reads it); undefined: an
 * error was reported. A burst below 1 would refuse every request (exporter-toolkit then answers 429
 * to all): refused here as the mistake it is.
 */
function readRateLimit(r: Reader, field: Field): RateLimitConfig | null | undefined {
  const entries = r.map(field, RATE_LIMIT_KEYS);
  if (!entries) return undefined;
  const intervalField = present(entries.get('interval'));
  const burstField = present(entries.get('burst'));
  // A zero interval is an unlimited rate in exporter-toolkit (rate.Every(0)), whatever the burst;
  // Prometheus' durations write zero as a bare `0` too (upstream's web_config_rate_limiter_nonblocking).
  if (intervalField && isZeroDuration(intervalField)) {
    const burst = burstField ? readInteger(r, burstField, 0, Number.MAX_SAFE_INTEGER) : 0;
    return burst === undefined ? undefined : null;
  }
  const interval = intervalField ? readDuration(r, intervalField) : null;
  const burst = burstField ? readInteger(r, burstField, 0, Number.MAX_SAFE_INTEGER) : 0;
  if (interval === undefined || burst === undefined) return undefined;
  if (interval === null) return null;
  if (burst < 1) {
    r.report(burstField ?? field, 'burst must be at least 1 with an interval: 0 refuses every request');
    return undefined;
  }
  return { intervalSeconds: interval.value, burst };
}

function isZeroDuration(field: Field): boolean {
  if (!isScalar(field.node)) return false;
  const text = scalarText(field.node);
  return text === '0' || parseDuration(text) === 0;
}

/** Null: TLS not configured; undefined: an error was reported. */
function readTls(w: WebReader, field: Field): TlsServerConfig | null | undefined {
  const { r } = w;
  const entries = r.map(field, TLS_KEYS);
  if (!entries) return undefined;
  const strings = new Map<string, { text: string; field: Field }>();
  for (const name of [
    'cert',
    'key',
    'client_ca',
    'cert_file',
    'key_file',
    'client_ca_file',
    'client_auth_type',
  ]) {
    const value = present(entries.get(name));
    if (!value) continue;
    const text = readString(r, value);
    // exporter-toolkit takes an empty string for unset.
    if (text) strings.set(name, { text, field: value });
  }
  if (strings.size === 0) return null;

  let ok = true;
  const pem = (inline: string, fileKey: string, required: boolean): PemSource | undefined => {
    const text = strings.get(inline);
    const fileValue = strings.get(fileKey);
    if (text && fileValue) {
      r.report(fileValue.field, `set ${inline} or ${fileKey}, not both`);
      ok = false;
      return undefined;
    }
    if (fileValue) return { file: path.resolve(w.dir, fileValue.text), at: w.locate(fileValue.field) };
    if (text) return { pem: text.text, at: w.locate(text.field) };
    if (required) {
      r.report(field, `missing one of ${inline} or ${fileKey}`);
      ok = false;
    }
    return undefined;
  };
  const cert = pem('cert', 'cert_file', true);
  const key = pem('key', 'key_file', true);
  const clientCa = pem('client_ca', 'client_ca_file', false);

  let clientAuth: ClientAuthType = 'NoClientCert';
  const authValue = strings.get('client_auth_type');
  if (authValue) {
    const known = (CLIENT_AUTH_TYPES as Record<string, ClientAuthType | undefined>)[authValue.text];
    if (known) clientAuth = known;
    else {
      r.report(authValue.field, oneOf(authValue.text, Object.keys(CLIENT_AUTH_TYPES)));
      ok = false;
    }
  }
  if (clientCa && clientAuth === 'NoClientCert' && authValue === undefined) {
    r.report(field, 'a client CA is set without client_auth_type (e.g. RequireAndVerifyClientCert)');
    ok = false;
  } else if (clientCa && clientAuth === 'NoClientCert') {
    r.report(authValue!.field, 'a client CA is set but client_auth_type is NoClientCert');
    ok = false;
  }

  const minVersion = readVersion(r, present(entries.get('min_version')), 'TLSv1.2');
  const maxVersion = readVersion(r, present(entries.get('max_version')), 'TLSv1.3');
  if (minVersion && maxVersion && VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) {
    r.report(present(entries.get('max_version')) ?? field, 'max_version is lower than min_version');
    ok = false;
  }
  const suitesField = present(entries.get('cipher_suites'));
  const ciphers = suitesField ? readNames(r, suitesField, CIPHER_SUITES, 'cipher suite') : [];
  const curvesField = present(entries.get('curve_preferences'));
  const curves = curvesField ? readNames(r, curvesField, CURVES, 'curve') : [];
  // Accepted for compatibility and ignored, as Go ≥ 1.17 does: the server's (Go's) order wins.
  const prefer = present(entries.get('prefer_server_cipher_suites'));
  if (prefer) readBoolean(r, prefer);
  const sansField = present(entries.get('client_allowed_sans'));
  const allowedSans = sansField ? readStrings(r, sansField) : [];
  if (sansField && allowedSans && !SANS_NEED.includes(clientAuth)) {
    r.report(sansField, `client_allowed_sans needs client_auth_type ${SANS_NEED.join(' or ')}`);
    ok = false;
  }

  if (!ok || !cert || !key || !minVersion || !maxVersion || !ciphers || !curves || !allowedSans)
    return undefined;
  const configurable = ciphers.filter((name): name is string => name !== undefined);
  return {
    at: w.locate(field),
    cert,
    key,
    ...(clientCa && { clientCa }),
    clientAuth,
    minVersion,
    maxVersion,
    ...(configurable.length > 0 && { ciphers: configurable }),
    ...(curves.length > 0 && { curves }),
    ...(sansField && { allowedSans }),
  };
}

function readStrings(r: Reader, field: Field): string[] | undefined {
  const items = r.seq(field);
  if (!items) return undefined;
  const result = items.map((item) => readString(r, item));
  return result.every((item) => item !== undefined) ? (result as string[]) : undefined;
}

function readHttp(r: Reader, field: Field): Record<string, string> | undefined {
  const entries = r.map(field, HTTP_KEYS);
  if (!entries) return undefined;
  // HTTP/2 is not served (Node's https server speaks HTTP/1.1; clients fall back through ALPN).
  const http2 = present(entries.get('http2'));
  if (http2) readBoolean(r, http2);
  const headersField = present(entries.get('headers'));
  if (!headersField) return {};
  const headers = r.map(headersField, Object.keys(EXTRA_HEADERS));
  if (!headers) return undefined;
  const result: Record<string, string> = {};
  let ok = true;
  for (const [name, { value }] of headers) {
    if (isNull(value)) continue;
    const text = readHeaderValue(r, value);
    const allowed = EXTRA_HEADERS[name];
    if (text === undefined) ok = false;
    else if (allowed && !allowed.includes(text)) {
      r.report(value, oneOf(text, allowed));
      ok = false;
    } else if (/[\r\n\0]/.test(text)) {
      r.report(value, 'a header value cannot contain line breaks or NUL');
      ok = false;
    } else if (text !== '') result[name] = text;
  }
  return ok ? result : undefined;
}

/**
 * A header value as exporter-toolkit reads it (YAML into a Go string): any scalar, as written, so
 * `X-XSS-Protection: 1` (upstream's own valid file) is the text "1"; a sequence or mapping is refused.
 */
function readHeaderValue(r: Reader, field: Field): string | undefined {
  const { node } = field;
  return isScalar(node) ? scalarText(node) : r.expected(field, 'a string');
}

function readUsers(r: Reader, field: Field): Map<string, string> | undefined {
  const entries = r.map(field);
  if (!entries) return undefined;
  const users = new Map<string, string>();
  let ok = true;
  for (const [name, { key, value }] of entries) {
    const hash = readString(r, value);
    if (name.includes(':')) {
      r.report(key, 'a user name cannot contain ":" (basic auth splits user and password there)');
      ok = false;
    } else if (hash === undefined) {
      ok = false;
    } else if (!validBcryptHash(hash)) {
      r.report(value, 'expected a bcrypt hash such as $2y$10$… (see htpasswd -nBC 10 "" | tr -d \':\\n\')');
      ok = false;
    } else users.set(name, hash);
  }
  return ok ? users : undefined;
}

function validBcryptHash(hash: string): boolean {
  const cost = Number(BCRYPT_HASH.exec(hash)?.[1]);
  return cost >= MIN_BCRYPT_COST && cost <= MAX_BCRYPT_COST;
}

function readVersion(
  r: Reader,
  field: Field | undefined,
  fallback: SecureVersion,
): SecureVersion | undefined {
  if (!field) return fallback;
  const text = readString(r, field);
  if (text === undefined) return undefined;
  const version = TLS_VERSIONS[text];
  if (!version) r.report(field, oneOf(text, Object.keys(TLS_VERSIONS)));
  return version;
}

/** Names from `table`, mapped; undefined after reporting the unknown ones. */
function readNames<T>(
  r: Reader,
  field: Field,
  table: Readonly<Record<string, T>>,
  what: string,
): T[] | undefined {
  const items = r.seq(field);
  if (!items) return undefined;
  const result: T[] = [];
  let ok = true;
  for (const item of items) {
    const name = readString(r, item);
    if (name !== undefined && Object.hasOwn(table, name)) result.push(table[name] as T);
    else {
      if (name !== undefined)
        r.report(item, `unknown ${what} ${quote(name)}; supported: ${Object.keys(table).join(', ')}`);
      ok = false;
    }
  }
  return ok ? result : undefined;
}

function readBoolean(r: Reader, field: Field): boolean | undefined {
  const { node } = field;
  return isScalar(node) && typeof node.value === 'boolean' ? node.value : r.expected(field, 'true or false');
}

function oneOf(text: string, allowed: readonly string[]): string {
  return `${quote(text)} is not one of ${allowed.join(', ')}`;
}
