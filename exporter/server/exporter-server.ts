import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging';
import type { ListenAddress } from './listen-address';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface ExporterServerOptions {
  listen: ListenAddress;
  /** Serves /metrics. */
  metrics: RequestHandler;
  logger: Logger;
  /** Milliseconds graceful close waits for in-flight requests before cutting them; default 5000. */
  closeTimeoutMs?: number;
}

/** The HTTP endpoint: /metrics, /-/healthy, and 404 for everything else. */
export class ExporterServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly options: ExporterServerOptions,
  ) {}

  static async listen(options: ExporterServerOptions): Promise<ExporterServer> {
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 16 * 1024 });
    const instance = new ExporterServer(server, options);
    server.on('request', (request, response) => instance.route(request, response));
    server.on('clientError', (_error, socket) => socket.destroy());
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
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
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

  private route(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?', 1)[0];
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
      default:
        reply(response, 404, 'Not Found\n');
    }
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
