import type { Duplex } from 'node:stream';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging';
import type { ListenAddress } from './listen-address';

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

export interface ExporterServerOptions {
  listen: ListenAddress;
  /** Serves /metrics. */
  metrics: RequestHandler;
  logger: Logger;
  /** Serves POST /-/reload: resolves with whether the config was applied and what to tell the client. */
  reload?: () => Promise<{ ok: boolean; message: string }>;
  /** /-/ready answers 200 while this says true (default: always); 503 otherwise, and once closing. */
  ready?: () => boolean;
  /** Milliseconds graceful close waits for in-flight requests before cutting them; default 5000. */
  closeTimeoutMs?: number;
  /** TLS and basic auth for every endpoint; default none (plain HTTP, open). */
  protection?: EndpointProtection;
}

/** The HTTP endpoint: /metrics, /-/healthy, /-/ready, POST /-/reload, and 404 for everything else. */
export class ExporterServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly options: ExporterServerOptions,
    private readonly scheme: 'http' | 'https',
  ) {}

  static async listen(options: ExporterServerOptions): Promise<ExporterServer> {
    const limits = { requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 };
    const tls = options.protection?.tls;
    const server: Server = tls
      ? createHttpsServer({ ...limits, handshakeTimeout: 10_000, ...tls })
      : createServer(limits);
    options.protection?.attach(server);
    const instance = new ExporterServer(server, options, tls ? 'https' : 'http');
    server.on('request', (request, response) => instance.admit(request, response));
    server.on('clientError', rejectBadRequest);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    options.logger.info('listening', { address: instance.url });
    return instance;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `${this.scheme}://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  /** Stops accepting, lets in-flight scrapes finish (up to the timeout). Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.server.closeAllConnections(), this.options.closeTimeoutMs ?? 5000);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
    }));
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
    switch (path) {
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
    request.resume();
    reload().then(
      ({ ok, message }) => reply(response, ok ? 200 : 500, `${message}\n`),
      (error: unknown) => reply(response, 500, `reload failed: ${String(error)}\n`),
    );
  }
}

/** A request the parser refused: a status line when the client can still read one, then close. */
function rejectBadRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code !== 'ECONNRESET' && socket.writable) {
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    return;
  }
  socket.destroy();
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
