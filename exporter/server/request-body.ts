import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Whether a request announces a body: a Content-Length other than 0, or any Transfer-Encoding (a
 * chunked body cannot be known empty without reading it). No endpoint takes a body.
 */
export function announcesBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined && Number(length) !== 0) return true;
  return request.headers['transfer-encoding'] !== undefined;
}

/**
 * 413 and close, without reading the body: `Connection: close` makes Node destroy the socket once
 * the answer is written, so what the server reads of the body is bounded by what had arrived with
 * the headers, not by what the client announced (a keep-alive reply would drain it all first).
 */
export function refuseBody(response: ServerResponse): void {
  response.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  response.end('Content Too Large: no endpoint takes a request body\n');
}
