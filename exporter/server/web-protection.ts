import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { ConfigError, formatIssue } from '../config/issue';
import type { Logger } from '../logging';
import { BasicAuthenticator } from './basic-auth';
import type { EndpointProtection } from './exporter-server';
import { clientCertificateAccepted, readTlsMaterial, type TlsMaterial } from './tls-options';
import { parseWebConfig, type WebConfig } from './web-config';

export interface WebProtectionOptions {
  /** The `--web.config.file`. */
  file: string;
  logger: Logger;
  /** Default: a BasicAuthenticator with its defaults. */
  authenticator?: BasicAuthenticator;
  /** Files are checked for changes at most this often (ms); default 1000. */
  checkIntervalMs?: number;
}

interface Loaded {
  readonly config: WebConfig;
  readonly material?: TlsMaterial;
  /** Identity, size and mtime of the web config and every file it names, to notice changes. */
  readonly stamp: string;
}

/**
 * TLS and basic auth from a `--web.config.file` (exporter-toolkit's format), for every endpoint.
 *
 * Like exporter-toolkit, the file (and the certificate, key and CA it names) is re-read while
 * running: on a new connection or request, at most once per `checkIntervalMs`, and only when a
 * file's inode, size or mtime changed. A changed file that is invalid is logged and the last good
 * one stays (exporter-toolkit answers 500 instead). Turning TLS on or off and changing
 * client_auth_type need a restart; so does http2, which is ignored anyway.
 */
export class WebProtection implements EndpointProtection {
  private loaded: Loaded;
  private server: Server | undefined;
  private lastCheck: number;
  private readonly authenticator: BasicAuthenticator;

  private constructor(
    private readonly options: WebProtectionOptions,
    initial: Loaded,
  ) {
    this.loaded = initial;
    this.lastCheck = Date.now();
    this.authenticator = options.authenticator ?? new BasicAuthenticator();
  }

  /** Reads and checks the web config and its files: throws a ConfigError naming each problem. */
  static load(options: WebProtectionOptions): WebProtection {
    return new WebProtection(options, load(options.file));
  }

  get config(): WebConfig {
    return this.loaded.config;
  }

  get tls(): HttpsServerOptions | undefined {
    const material = this.loaded.material;
    if (!material) return undefined;
    const { context, requestCert, rejectUnauthorized } = material;
    return { ...context, requestCert, rejectUnauthorized };
  }

  attach(server: Server): void {
    this.server = server;
    if (!this.loaded.material) return;
    // Prepended: the check runs before node:tls sets up the handshake of the connection.
    server.prependListener('connection', () => this.refresh());
    server.prependListener('secureConnection', (socket: TLSSocket) => {
      const type = this.loaded.config.tls?.clientAuth ?? 'NoClientCert';
      if (clientCertificateAccepted(type, socket)) return;
      this.options.logger.debug('client certificate refused', {
        client: socket.remoteAddress,
        client_auth_type: type,
        reason: socket.authorizationError?.toString() ?? 'no certificate',
      });
      socket.destroy();
    });
    server.on('tlsClientError', (error, socket) => {
      this.options.logger.debug('TLS handshake failed', {
        client: socket.remoteAddress,
        error: error.message,
      });
    });
  }

  async admit(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    this.refresh();
    const { headers, users } = this.loaded.config;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    if (users.size === 0) return true;
    const outcome = await this.authenticator.check(request.headers.authorization, users);
    if (outcome === 'allowed') return true;
    if (outcome === 'busy') {
      response.writeHead(429, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' });
      response.end('Too Many Requests\n');
      return false;
    }
    response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Basic' });
    response.end('Unauthorized\n');
    return false;
  }

  /** Re-reads the files if they changed (at most once per checkIntervalMs). */
  refresh(): void {
    const now = Date.now();
    if (now - this.lastCheck < (this.options.checkIntervalMs ?? 1000)) return;
    this.lastCheck = now;
    const current = this.loaded;
    const stamp = [this.options.file, ...(current.material?.files ?? [])].map(stampOf).join('|');
    if (stamp === current.stamp) return;
    const { logger, file } = this.options;
    let next: Loaded;
    try {
      next = load(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Remember the stamp: the same broken files are reported once.
      this.loaded = { ...current, stamp };
      logger.error('web config not reloaded, the previous one stays', {
        errors: error.issues.map(formatIssue).join('; '),
      });
      return;
    }
    const restartNeeded = restartReason(current.config, next.config);
    if (restartNeeded) {
      this.loaded = { ...current, stamp: next.stamp };
      logger.error('web config not reloaded, the previous one stays', {
        errors: `${file}: ${restartNeeded}`,
      });
      return;
    }
    if (next.material && this.server) (this.server as HttpsServer).setSecureContext(next.material.context);
    this.loaded = next;
    logger.info('web config reloaded', { file });
  }
}

function load(file: string): Loaded {
  // Stamped before reading: a change while reading is seen at the next check.
  const fileStamp = stampOf(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([{ file, line: 1, column: 1, path: '(root)', message: `cannot read: ${reason}` }]);
  }
  const config = parseWebConfig(bytes, file);
  const material = config.tls && readTlsMaterial(config.tls);
  const stamp = [fileStamp, ...(material?.files ?? []).map(stampOf)].join('|');
  return { config, ...(material && { material }), stamp };
}

function restartReason(running: WebConfig, next: WebConfig): string | undefined {
  if (!running.tls !== !next.tls) return 'turning TLS on or off needs a restart';
  if (running.tls && next.tls && running.tls.clientAuth !== next.tls.clientAuth)
    return 'changing client_auth_type needs a restart';
  return undefined;
}

function stampOf(file: string): string {
  try {
    const { ino, size, mtimeMs } = statSync(file);
    return `${ino}:${size}:${mtimeMs}`;
  } catch {
    return 'missing';
  }
}
