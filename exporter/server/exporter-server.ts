import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from '../logging';
import { connectionLimits, type ConnectionLimits } from './connection-limits';
import { rejectClient, type RejectionReason } from './connection-rejection';
import { ConnectionTracker } from './connection-tracker';
import { landingPage } from './landing-page';
import { answerPlainHttp } from './plain-http-answer';
import type { ListenAddress } from './listen-address';
import { announcesBody, refuseBody } from './request-body';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** TLS and authentication in front of every endpoint (see WebProtection). */
export interface EndpointProtection {
  /** node:https options (certificate, key, CA, versions…) to serve HTTPS; undefined: plain HTTP. */
  readonly tls: HttpsServerOptions | undefined;
  /** Called once with the server before it listens, to watch its connections. */
  attach(server: Server): void;
  /** Resolves true to route the request; false once it has answered it (401, 429…). */
  admit(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

/**
 * Connections of the server: open now, and closed since start by the server for a reason: the cap
 * (`evicted`: the oldest idle one made room; `refused`: all had requests in flight, the new one
 * went), a deadline (`timeout`: headers, request, TLS handshake, or idle with a request in flight), or a request the parser or TLS
 * refused (`bad_request`).
 */
export interface ConnectionStats {
  readonly open: number;
  readonly maxConnections: number;
  readonly closed: Readonly<Record<'evicted' | 'refused' | RejectionReason, number>>;
}

export interface ExporterServerOptions {
  listen: ListenAddress;
  /** Serves /metrics. */
  metrics: RequestHandler;
  logger: Logger;
  /** Serves POST /-/reload: resolves with whether the config was applied and what to tell the client. */
  reload?: () => Promise<{ ok: boolean; message: string }>;
  /** /-/ready answers 200 while this says true (default: always); 503 otherwise, and once closing. */
  ready?: () => boolean;
  /** Connection cap, timeouts and graceful close deadline; each defaults as ConnectionLimits says. */
  connections?: Partial<ConnectionLimits>;
  /** TLS and basic auth for every endpoint; default none (plain HTTP, open). */
  protection?: EndpointProtection;
  /** Shown on the page `GET /` answers; default none (the line is left out). */
  version?: string;
  /** The status page and its API (exporter/status): asked first for every GET and HEAD; default none. */
  status?: RouteSet;
}

/** Extra GET routes: `handles` says whether a path is one of them, `serve` answers it. */
export interface RouteSet {
  handles(path: string): boolean;
  serve: RequestHandler;
}

/** The HTTP endpoint: / (a page of links), /metrics, /-/healthy, /-/ready, POST /-/reload, and 404 for everything else. */
export class ExporterServer {
  private closing: Promise<void> | undefined;
  private landingText: string | undefined;
  private readonly rejected: Record<RejectionReason, number> = { timeout: 0, bad_request: 0 };

  private constructor(
    private readonly server: Server,
    private readonly options: ExporterServerOptions,
    private readonly scheme: 'http' | 'https',
    private readonly limits: ConnectionLimits,
    private readonly tracker: ConnectionTracker,
  ) {}

  static async listen(options: ExporterServerOptions): Promise<ExporterServer> {
    const limits = connectionLimits(options.connections);
    const http = {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      maxHeaderSize: 16 * 1024,
    };
    const tls = options.protection?.tls;
    const server: Server = tls
      ? createHttpsServer({ ...http, ...tls, handshakeTimeout: limits.handshakeTimeoutMs })
      : createServer(http);
    if (tls)
      answerPlainHttp(server as unknown as TlsServer, {
        timeoutMs: limits.handshakeTimeoutMs,
        logger: options.logger,
      });
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    // node:http's socket inactivity timeout; the keep-alive timeout replaces it between requests.
    server.timeout = limits.idleTimeoutMs;
    const { logger } = options;
    const tracker = new ConnectionTracker(server, limits.maxConnections, (outcome) =>
      logger.warn(
        outcome === 'evicted'
          ? 'HTTP connection limit reached: the oldest idle connection was closed'
          : 'HTTP connection limit reached: every connection has a request in flight, the new one was refused',
        { code: 'ERR_HTTP_CONNECTION_LIMIT', max_connections: limits.maxConnections },
      ),
    );
    options.protection?.attach(server);
    const instance = new ExporterServer(server, options, tls ? 'https' : 'http', limits, tracker);
    server.on('request', (request, response) => instance.accept(request, response));
    // Expect: 100-continue: answered before the client sends a body, so a refused one is never sent.
    server.on('checkContinue', (request, response) => instance.accept(request, response));
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      const reason = rejectClient(error, socket, {
        lingerMs: limits.rejectLingerMs,
        responseInFlight: (s) => tracker.hasRequestInFlight(s),
        logger,
      });
      if (reason) instance.rejected[reason]++;
    });
    // With a listener node:http leaves the socket to us: destroyed here, and counted.
    server.on('timeout', (socket: Socket) => {
      logger.debug('HTTP connection idle with a request in flight: destroyed', {
        code: 'ERR_HTTP_IDLE_TIMEOUT',
        idle_timeout_ms: limits.idleTimeoutMs,
      });
      instance.rejected.timeout++;
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A failed accept (EMFILE when something else took the descriptors) is reported, not thrown:
    // without a listener node:net's 'error' would end the process.
    server.on('error', (error: NodeJS.ErrnoException) =>
      logger.error('HTTP server error', { code: error.code ?? 'ERR_UNKNOWN', cause: error.message }),
    );
    options.logger.info('listening', { address: instance.url });
    return instance;
  }

  /** The page of `GET /`: fixed for the server's life, so rendered once. */
  private get landing(): string {
    return (this.landingText ??= landingPage({
      version: this.options.version,
      reload: this.options.reload !== undefined,
    }));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `${this.scheme}://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /** Open connections and the ones the server closed, by reason (what `netdiag_http_connections*` export). */
  connectionStats(): ConnectionStats {
    return {
      open: this.tracker.open,
      maxConnections: this.limits.maxConnections,
      closed: { ...this.tracker.closedAtCap, ...this.rejected },
    };
  }

  /**
   * Stops accepting and closes every connection without a request in flight; the others get until
   * closeTimeoutMs to finish, then every connection left is destroyed, whatever its state. Resolves
   * once all are closed. Idempotent.
   */
  close(): Promise<void> {
    return (this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.options.logger.warn('HTTP connections cut at the close deadline', {
          code: 'ERR_HTTP_CLOSE_TIMEOUT',
          connections: this.tracker.open,
          close_timeout_ms: this.limits.closeTimeoutMs,
        });
        this.tracker.destroyAll();
      }, this.limits.closeTimeoutMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.tracker.drain();
    }));
  }

  private accept(request: IncomingMessage, response: ServerResponse): void {
    this.tracker.requestStarted(request, response);
    if (announcesBody(request)) {
      refuseBody(response);
      return;
    }
    this.admit(request, response);
  }

  private admit(request: IncomingMessage, response: ServerResponse): void {
    const protection = this.options.protection;
    if (!protection) {
      this.route(request, response);
      return;
    }
    protection.admit(request, response).then(
      (admitted) => admitted && this.route(request, response),
      (error: unknown) => {
        this.options.logger.error('request check failed', { error: String(error) });
        if (!response.headersSent) reply(response, 500, 'Internal Server Error\n');
        else response.destroy();
      },
    );
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path === '/-/reload') {
      this.routeReload(request, response);
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(response, 405, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    if (path !== undefined && this.options.status?.handles(path)) {
      this.options.status.serve(request, response);
      return;
    }
    switch (path) {
      case '/':
        reply(response, 200, this.landing, { 'content-type': 'text/html; charset=utf-8' });
        return;
      case '/metrics':
        this.options.metrics(request, response);
        return;
      case '/-/healthy':
        reply(response, 200, 'Healthy\n');
        return;
      case '/-/ready':
        if (this.closing === undefined && (this.options.ready?.() ?? true)) reply(response, 200, 'Ready\n');
        else reply(response, 503, 'Service Unavailable\n');
        return;
      default:
        reply(response, 404, 'Not Found\n');
    }
  }

  private routeReload(request: IncomingMessage, response: ServerResponse): void {
    const reload = this.options.reload;
    if (!reload) {
      reply(response, 404, 'Not Found\n');
      return;
    }
    if (request.method !== 'POST' && request.method !== 'PUT') {
      reply(response, 405, 'Method Not Allowed\n', { allow: 'POST, PUT' });
      return;
    }
    reload().then(
      ({ ok, message }) => reply(response, ok ? 200 : 500, `${message}\n`),
      (error: unknown) => reply(response, 500, `reload failed: ${String(error)}\n`),
    );
  }
}

function reply(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(body);
}
