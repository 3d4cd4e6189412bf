import { stat } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { ConfigError, formatPublicIssues } from '../config/issue';
import { readConfigSource } from '../config/read-file';
import { errorCode } from '../errors';
import type { Logger } from '../logging';
import { BasicAuthenticator } from './basic-auth';
import type { EndpointProtection } from './exporter-server';
import { TokenBucket } from './rate-limit';
import {
  clientCertificateAccepted,
  clientSansAllowed,
  readTlsMaterial,
  type TlsMaterial,
} from './tls-options';
import { parseWebConfig, type RateLimitConfig, type WebConfig } from './web-config';

export interface WebProtectionOptions {
  /** The `--web.config.file`. */
  file: string;
  logger: Logger;
  /** Default: a BasicAuthenticator with its defaults. */
  authenticator?: BasicAuthenticator;
  /** Files are checked for changes at most this often (ms); default 1000. */
  checkIntervalMs?: number;
  /** The rate limit's clock, in milliseconds; default performance.now. */
  now?: () => number;
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
 *
 * Every read is asynchronous and bounded (readConfigFile: regular files only, at most 8 MiB for the
 * web config, MAX_TLS_FILE_BYTES for PEM files): a FIFO or /dev/zero at one of these paths gives an
 * error, never a stalled event loop or a growing heap. A re-read runs in the background, one at a
 * time; connections and requests meanwhile use the last good config.
 */
export class WebProtection implements EndpointProtection {
  private loaded: Loaded;
  private server: Server | undefined;
  private lastCheck: number;
  /** The re-read in flight, if any: at most one at a time. */
  private refreshing: Promise<void> | undefined;
  private readonly authenticator: BasicAuthenticator;
  /** The `rate_limit` bucket: kept across re-reads that leave rate_limit as it was (a fresh one would refill it). */
  private bucket: TokenBucket | undefined;

  private constructor(
    private readonly options: WebProtectionOptions,
    initial: Loaded,
  ) {
    this.loaded = initial;
    this.lastCheck = Date.now();
    this.authenticator = options.authenticator ?? new BasicAuthenticator();
    this.bucket = this.bucketFor(initial.config.rateLimit);
  }

  /** Reads and checks the web config and its files: rejects with a ConfigError naming each problem. */
  static async load(options: WebProtectionOptions): Promise<WebProtection> {
    return new WebProtection(options, await load(options.file));
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
    // A new connection starts a re-read in the background: its own handshake uses the context in
    // force, connections after the re-read the new one (a FIFO at a cert path cannot stall accept).
    server.prependListener('connection', () => void this.refresh());
    server.prependListener('secureConnection', (socket: TLSSocket) => {
      const tls = this.loaded.config.tls;
      const type = tls?.clientAuth ?? 'NoClientCert';
      let reason: string | undefined;
      if (!clientCertificateAccepted(type, socket))
        reason = socket.authorizationError?.toString() ?? 'no certificate';
      else if (tls?.allowedSans && !clientSansAllowed(tls.allowedSans, socket))
        reason = `no subject alternative name of the certificate is in client_allowed_sans`;
      if (reason === undefined) return;
      this.options.logger.debug('client certificate refused', {
        client: socket.remoteAddress,
        client_auth_type: type,
        reason,
      });
      socket.destroy();
    });
    server.on('tlsClientError', (error, socket) => {
      this.options.logger.debug('TLS handshake failed', {
        client: socket.remoteAddress,
        error: error.message,
        code: errorCode(error),
      });
    });
  }

  async admit(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    void this.refresh();
    // Before headers and authentication, as exporter-toolkit: a refused request costs no bcrypt.
    if (this.bucket && !this.bucket.take()) {
      response.writeHead(429, {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
      });
      response.end('Too Many Requests\n');
      return false;
    }
    const { headers, users } = this.loaded.config;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    if (users.size === 0) return true;
    // Turns go per client address, so one guessing client cannot hold up others' first logins.
    const outcome = await this.authenticator.check(
      request.headers.authorization,
      users,
      request.socket.remoteAddress,
    );
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

  /**
   * Starts a re-read of the files if they may have changed (at most once per checkIntervalMs, one at
   * a time) and returns at once; the returned promise settles when that re-read is over (it never
   * rejects). Until then the current config stays in force.
   */
  refresh(): Promise<void> {
    const now = Date.now();
    if (this.refreshing) return this.refreshing;
    if (now - this.lastCheck < (this.options.checkIntervalMs ?? 1000)) return Promise.resolve();
    this.lastCheck = now;
    this.refreshing = this.reread()
      .catch((error: unknown) =>
        this.options.logger.error('web config not reloaded, the previous one stays', {
          code: (error as { code?: string }).code ?? 'ERR_UNKNOWN',
          err: error as Error,
        }),
      )
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async reread(): Promise<void> {
    const current = this.loaded;
    const stamp = (
      await Promise.all([this.options.file, ...(current.material?.files ?? [])].map(stampOf))
    ).join('|');
    if (stamp === current.stamp) return;
    const { logger, file } = this.options;
    let next: Loaded;
    try {
      next = await load(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Remember the stamp: the same broken files are reported once.
      this.loaded = { ...current, stamp };
      logger.error('web config not reloaded, the previous one stays', {
        code: error.code,
        errors: formatPublicIssues(error).split('\n').join('; '),
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
    this.bucket = this.bucketFor(next.config.rateLimit);
    logger.info('web config reloaded', { file });
  }

  /** The bucket for `config`: the current one when rate_limit did not change. */
  private bucketFor(config: RateLimitConfig | undefined): TokenBucket | undefined {
    if (!config) return undefined;
    const current = this.bucket;
    if (current && current.intervalSeconds === config.intervalSeconds && current.burst === config.burst)
      return current;
    return new TokenBucket(config.intervalSeconds, config.burst, this.options.now);
  }
}

async function load(file: string): Promise<Loaded> {
  // Stamped before reading: a change while reading is seen at the next check.
  const fileStamp = await stampOf(file);
  const bytes = await readConfigSource(file);
  const config = parseWebConfig(bytes, file);
  const material = config.tls && (await readTlsMaterial(config.tls));
  const stamp = [fileStamp, ...(await Promise.all((material?.files ?? []).map(stampOf)))].join('|');
  return { config, ...(material && { material }), stamp };
}

function restartReason(running: WebConfig, next: WebConfig): string | undefined {
  if (!running.tls !== !next.tls) return 'turning TLS on or off needs a restart';
  if (running.tls && next.tls && running.tls.clientAuth !== next.tls.clientAuth)
    return 'changing client_auth_type needs a restart';
  return undefined;
}

async function stampOf(file: string): Promise<string> {
  try {
    const { ino, size, mtimeMs } = await stat(file);
    return `${ino}:${size}:${mtimeMs}`;
  } catch {
    return 'missing';
  }
}
