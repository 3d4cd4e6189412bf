import type { Duplex } from 'node:stream';
import type { Logger } from '../logging';

/** Why a client was cut off, for the closed-connections counter. */
export type RejectionReason = 'timeout' | 'bad_request';

const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE']);

/** The status line for an HTTP parser error or request timeout; undefined for anything else (TLS, resets). */
export function rejectionStatus(code: string | undefined): string | undefined {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return '431 Request Header Fields Too Large';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return '413 Content Too Large';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return '408 Request Timeout';
    default:
      return code?.startsWith('HPE_') ? '400 Bad Request' : undefined;
  }
}

export interface RejectionOptions {
  /** After the status line, how long an unread one may hold the connection (milliseconds). */
  lingerMs: number;
  /** True while a response is on its way on the socket: a status line in its middle would corrupt it. */
  responseInFlight: (socket: Duplex) => boolean;
  logger: Logger;
}

/**
 * The `clientError` handler: a client the parser refused, that timed out, or whose TLS handshake
 * failed. Invariant: the socket is destroyed, at once or at most `lingerMs` after the status line,
 * whatever the client does. (A clientError listener takes over Node's cleanup: answering with
 * end() alone left the descriptor to the client, and a TLS socket whose handshake timed out was
 * never freed since end() waits for the handshake.)
 */
export function rejectClient(
  error: NodeJS.ErrnoException,
  socket: Duplex,
  options: RejectionOptions,
): RejectionReason | undefined {
  const status = rejectionStatus(error.code);
  // A client that reset or went away did nothing wrong worth counting.
  const reason = CLIENT_GONE.has(error.code ?? '')
    ? undefined
    : error.code?.endsWith('_TIMEOUT')
      ? 'timeout'
      : 'bad_request';
  options.logger.debug('HTTP client refused', {
    code: error.code ?? 'ERR_UNKNOWN',
    status: status ?? 'none',
    cause: error.message,
  });
  if (status === undefined || !socket.writable || options.responseInFlight(socket)) {
    socket.destroy();
    return reason;
  }
  const timer = setTimeout(() => socket.destroy(), options.lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  return reason;
}
