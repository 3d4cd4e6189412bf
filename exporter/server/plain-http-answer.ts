import type { Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Logger } from '../logging';

/** What Go's net/http answers a plain HTTP request on a TLS port, byte for byte. */
const PLAIN_HTTP_ANSWER = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** The first five bytes of the requests Go recognises (net/http tlsRecordHeaderLooksLikeHTTP). */
const HTTP_STARTS = ['GET /', 'HEAD ', 'POST ', 'PUT /', 'OPTIO'];
const SNIFF_BYTES = 5;
/** A TLS record starts with its content type: 0x16 for the handshake a client opens with. */
const FIRST_BYTES = new Set(HTTP_STARTS.map((start) => start.charCodeAt(0)));

export interface PlainHttpAnswerOptions {
  /** A connection that sends nothing for this long is destroyed (the TLS handshake timeout). */
  timeoutMs: number;
  /** Each answered request is logged at debug, as Go logs the handshake error it is. */
  logger: Logger;
}

/**
 * Makes a TLS server answer a plain HTTP request as Go's does, `400 Bad Request` saying "Client sent
 * an HTTP request to an HTTPS server.", instead of closing without a word: what a user needs to see
 * in Prometheus' target page after forgetting `scheme: https`.
 *
 * node:tls hands every connection to OpenSSL at once, which fails the handshake and closes. So the
 * server's own connection listeners (the TLS wrapping) are moved behind a look at the first bytes:
 * a TLS client's first byte (0x16) passes at once; a start that could be HTTP waits for five bytes.
 * Bytes read are put back (unshift) before the TLS socket takes the connection, which reads what
 * the raw socket buffered. Call it once, right after creating the server, before other listeners.
 */
export function answerPlainHttp(server: TlsServer, options: PlainHttpAnswerOptions): void {
  const wrapping = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const pass = (): void => {
      for (const listener of wrapping) listener.call(server, socket);
    };
    let seen = Buffer.alloc(0);
    const stop = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.setTimeout(0);
      socket.pause();
    };
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      if (!FIRST_BYTES.has(seen[0]!) || (seen.length >= SNIFF_BYTES && !looksLikeHttp(seen))) {
        stop();
        socket.unshift(seen);
        pass();
      } else if (seen.length >= SNIFF_BYTES) {
        stop();
        options.logger.debug('plain HTTP request on the HTTPS port: answered 400', {
          client: socket.remoteAddress,
        });
        socket.end(PLAIN_HTTP_ANSWER);
        socket.destroySoon();
      }
    };
    const onEnd = (): void => {
      stop();
      socket.destroy();
    };
    // A reset before the first bytes: nothing to tell; without a listener it would end the process.
    const onError = (): void => {
      stop();
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.setTimeout(options.timeoutMs, () => {
      stop();
      socket.destroy();
    });
  });
}

function looksLikeHttp(bytes: Buffer): boolean {
  return HTTP_STARTS.includes(bytes.toString('latin1', 0, SNIFF_BYTES));
}
