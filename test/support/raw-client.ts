import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';

/**
 * A client that does only what a test tells it: raw bytes over TCP (or TLS), no HTTP library in
 * between. It keeps its own end open (allowHalfOpen) so that only the server can close the connection.
 */
export class RawClient {
  /** Everything the server sent, as latin1 text. */
  received = '';
  /** Set once the server ended its side (FIN). */
  ended = false;
  /** The error that closed the connection, if any (ECONNRESET, EPIPE...). */
  error: Error | undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket | TLSSocket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (this.received += chunk));
    socket.on('end', () => (this.ended = true));
    socket.on('error', (error) => (this.error ??= error));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static tcp(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTcp({ host: '127.0.0.1', port, allowHalfOpen: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  static tls(port: number, ca: Buffer): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ host: '127.0.0.1', port, ca, servername: 'localhost' });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Whether the connection is fully closed (by the server: the client never closes it itself). */
  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  /**
   * Resolves once the connection is fully closed. A server that only ended its side (FIN) while
   * keeping the descriptor is found out by writing: a destroyed one answers with a reset.
   */
  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.isClosed && Date.now() < deadline) {
      if (this.ended) this.write('x');
      await sleep(50);
    }
    return this.isClosed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition` holds, checking every 20 ms; false at the deadline. */
export async function eventually(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}
