import { constants, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { ConfigError, type ConfigIssue } from '../config/issue';
import { readConfigFile, readProblem } from '../config/read-file';
import { GO_CIPHER_PREFERENCE, type ClientAuthType } from './go-tls-names';
import type { PemSource, TlsServerConfig, Where } from './web-config';

/** What node:https needs, read from the files a `tls_server_config` names. */
export interface TlsMaterial {
  /** Certificate, key, CA, versions, ciphers, curves: what setSecureContext() takes. */
  readonly context: SecureContextOptions;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  /** The files read (to notice when they change). */
  readonly files: readonly string[];
}

export type ReadFile = (file: string) => Promise<Buffer>;

/** A certificate, key or CA file larger than this is refused; a bundle of every public root CA fits several times. */
const MAX_TLS_FILE_BYTES = 1024 * 1024;

/** Reads a PEM file: regular files only, at most MAX_TLS_FILE_BYTES + 1 bytes (see readConfigFile). */
const readPemFile: ReadFile = (file) => readConfigFile(file, { limit: MAX_TLS_FILE_BYTES });

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * Reads and checks the certificate, key and client CA of `config`. Asynchronous, regular files of at
 * most MAX_TLS_FILE_BYTES only: a cert_file that is a FIFO or /dev/zero must not stall the event
 * loop nor fill memory. Rejects with a ConfigError naming the key of each bad file.
 */
export async function readTlsMaterial(
  config: TlsServerConfig,
  readFile: ReadFile = readPemFile,
): Promise<TlsMaterial> {
  const issues: ConfigIssue[] = [];
  const files: string[] = [];
  const read = async (source: PemSource | undefined, what: string): Promise<string | undefined> => {
    if (!source) return undefined;
    if ('pem' in source) return source.pem;
    files.push(source.file);
    try {
      const bytes = await readFile(source.file);
      if (bytes.length > MAX_TLS_FILE_BYTES) {
        issues.push(
          issueAt(source.at, `${what} ${source.file} is larger than ${MAX_TLS_FILE_BYTES / 1024 / 1024} MiB`),
        );
        return undefined;
      }
      return bytes.toString('utf8');
    } catch (error) {
      issues.push(issueAt(source.at, `cannot read ${what} ${source.file}: ${readProblem(error)}`));
      return undefined;
    }
  };
  const certText = await read(config.cert, 'certificate');
  const keyText = await read(config.key, 'key');
  const caText = await read(config.clientCa, 'client CA');

  const cert = certText === undefined ? undefined : parse(() => new X509Certificate(certText));
  if (certText !== undefined && !cert)
    issues.push(issueAt(config.cert.at, `${where(config.cert)}has no PEM certificate`));
  const key = keyText === undefined ? undefined : parse<KeyObject>(() => createPrivateKey(keyText));
  if (keyText !== undefined && !key)
    issues.push(issueAt(config.key.at, `${where(config.key)}has no PEM private key`));
  if (cert && key && !cert.checkPrivateKey(key))
    issues.push(issueAt(config.key.at, `${where(config.key)}is not the private key of the certificate`));
  if (config.clientCa && caText !== undefined) {
    const blocks = caText.match(PEM_CERTIFICATE) ?? [];
    if (blocks.length === 0 || blocks.some((block) => !parse(() => new X509Certificate(block))))
      issues.push(issueAt(config.clientCa.at, `${where(config.clientCa)}has no valid PEM certificate`));
  }
  if (issues.length > 0 || certText === undefined || keyText === undefined) throw new ConfigError(issues);

  const context: SecureContextOptions = {
    cert: certText,
    key: keyText,
    ...(caText !== undefined && { ca: caText }),
    minVersion: config.minVersion,
    maxVersion: config.maxVersion,
    ...(config.ciphers && { ciphers: inGoOrder(config.ciphers).join(':') }),
    ...(config.curves && { ecdhCurve: config.curves.join(':') }),
    // Go's server picks the suite by its own order, not the client's (see GO_CIPHER_PREFERENCE).
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_PRIORITIZE_CHACHA,
  };
  try {
    createSecureContext(context);
  } catch (error) {
    throw new ConfigError([
      issueAt(config.at, `OpenSSL refuses these settings: ${(error as Error).message}`),
    ]);
  }
  return { context, ...handshakePolicy(config.clientAuth), files };
}

/** requestCert / rejectUnauthorized for a client_auth_type; the rest is checked after the handshake. */
function handshakePolicy(type: ClientAuthType): { requestCert: boolean; rejectUnauthorized: boolean } {
  if (type === 'NoClientCert') return { requestCert: false, rejectUnauthorized: false };
  return { requestCert: true, rejectUnauthorized: type === 'RequireAndVerifyClientCert' };
}

/**
 * Whether a client that completed the handshake meets the client_auth_type (Go's tls.ClientAuthType):
 * OpenSSL alone cannot require a certificate without verifying it, nor verify only a given one.
 */
export function clientCertificateAccepted(type: ClientAuthType, socket: TLSSocket): boolean {
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  switch (type) {
    case 'RequireAnyClientCert':
      return presented;
    case 'VerifyClientCertIfGiven':
      return !presented || socket.authorized;
    case 'RequireAndVerifyClientCert':
      return presented && socket.authorized;
    default:
      return true;
  }
}

/** `ciphers` sorted in Go's preference order. */
function inGoOrder(ciphers: readonly string[]): string[] {
  return [...new Set(ciphers)].sort(
    (a, b) => GO_CIPHER_PREFERENCE.indexOf(a) - GO_CIPHER_PREFERENCE.indexOf(b),
  );
}

/**
 * Whether one subject alternative name of the client's certificate is in `allowed` (exporter-toolkit's
 * client_allowed_sans): DNS names, email addresses and URIs as written, IP addresses in Go's text form
 * (`::1`, not OpenSSL's `0:0:…:1`).
 */
export function clientSansAllowed(allowed: readonly string[], socket: TLSSocket): boolean {
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  if (!raw) return false;
  const names = subjectAltNames(new X509Certificate(raw).subjectAltName ?? '');
  return names.some((name) => allowed.includes(name));
}

/** `DNS:a, IP Address:1.2.3.4, email:x, URI:y` (values with a comma or quote are JSON-quoted by Node). */
function subjectAltNames(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/(DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const [, kind, written] = match as unknown as [string, string, string];
    const value = written.startsWith('"') ? (JSON.parse(written) as string) : written;
    names.push(kind === 'IP Address' ? goIpText(value) : value);
  }
  return names;
}

/** An IP address as Go's net.IP.String() writes it: IPv6 compressed (URL parsing does that). */
function goIpText(address: string): string {
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function parse<T>(make: () => T): T | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}

function where(source: PemSource): string {
  return 'file' in source ? `${source.file} ` : 'the value ';
}

function issueAt(at: Where, message: string): ConfigIssue {
  return { ...at, message };
}
