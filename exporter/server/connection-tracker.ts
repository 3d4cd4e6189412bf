import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';

interface TrackedConnection {
  /** The accepted TCP socket (under the TLS socket on HTTPS). */
  readonly socket: Socket;
  /** Requests whose response has not closed yet. */
  inFlight: number;
}

/** The peer's address and port: the same on a TCP socket and on the TLS socket over it. */
interface Peer {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/**
 * Every connection a server accepted, from accept to close, whatever stage it is in: TLS handshake,
 * headers, request in flight, idle keep-alive. Node's own closeAllConnections() only knows the ones
 * that reached the HTTP parser, so a connection stuck in its TLS handshake outlived every deadline.
 *
 * Invariant: a socket is tracked from its 'connection' event until its 'close' event.
 */
export class ConnectionTracker {
  private readonly connections = new Set<TrackedConnection>();
  private readonly byPeer = new Map<string, TrackedConnection>();
  private draining = false;
  private refusedTotal = 0;

  /** `onRefused` is called for each connection closed at accept because the server was at its cap. */
  constructor(server: Server, onRefused: () => void = () => {}) {
    server.on('connection', (socket: Socket) => this.add(socket));
    server.on('drop', () => {
      this.refusedTotal++;
      onRefused();
    });
  }

  /** Connections open now. */
  get open(): number {
    return this.connections.size;
  }

  /** Connections closed at accept since start because the cap was reached. */
  get refused(): number {
    return this.refusedTotal;
  }

  /** Counts the request in flight on its connection until its response closes. */
  requestStarted(request: IncomingMessage, response: ServerResponse): void {
    const tracked = this.byPeer.get(peerKey(request.socket));
    if (!tracked) return;
    tracked.inFlight++;
    response.once('close', () => {
      tracked.inFlight--;
      if (this.draining && tracked.inFlight === 0) tracked.socket.destroy();
    });
  }

  /** Whether a response may be on its way on this socket (an error status line would corrupt it). */
  hasRequestInFlight(socket: object): boolean {
    // clientError hands a Duplex: in fact the net.Socket or tls.TLSSocket of the connection.
    return (this.byPeer.get(peerKey(socket as Peer))?.inFlight ?? 0) > 0;
  }

  /**
   * Graceful close: destroys every connection without a request in flight now (idle, handshaking,
   * sending headers), and each of the others as soon as its last response closes.
   */
  drain(): void {
    this.draining = true;
    for (const tracked of this.connections) if (tracked.inFlight === 0) tracked.socket.destroy();
  }

  /** Destroys every connection still open. */
  destroyAll(): void {
    for (const tracked of this.connections) tracked.socket.destroy();
  }

  private add(socket: Socket): void {
    const tracked: TrackedConnection = { socket, inFlight: 0 };
    const key = peerKey(socket);
    this.connections.add(tracked);
    this.byPeer.set(key, tracked);
    socket.once('close', () => {
      this.connections.delete(tracked);
      if (this.byPeer.get(key) === tracked) this.byPeer.delete(key);
    });
    if (this.draining) socket.destroy();
  }
}

function peerKey(socket: Peer): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;
}
