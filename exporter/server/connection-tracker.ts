import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';

interface TrackedConnection {
  /** The accepted TCP socket (under the TLS socket on HTTPS). */
  readonly socket: Socket;
  readonly key: string;
  /** Requests whose response has not closed yet. */
  inFlight: number;
}

/** The peer's address and port: the same on a TCP socket and on the TLS socket over it. */
interface Peer {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/** What happened to a connection over the cap. */
export type OverCapOutcome = 'evicted' | 'refused';

/**
 * Every connection a server accepted, from accept to close, whatever stage it is in: TLS handshake,
 * headers, request in flight, idle keep-alive. Node's own closeAllConnections() only knows the ones
 * that reached the HTTP parser, so a connection stuck in its TLS handshake outlived every deadline.
 *
 * It also holds the cap. A connection accepted at the cap makes room by destroying the oldest one
 * without a request in flight (idle, handshaking, still sending headers), as nginx reuses idle
 * keep-alive connections when it runs out: connections that do nothing cannot lock scrapers out,
 * which refusing the newest connection (node:net's maxConnections) allowed. Only when every
 * connection has a request in flight is the new one refused.
 *
 * Invariants: a socket is tracked from its 'connection' event until it is destroyed; at most
 * `maxConnections` tracked sockets exist once each 'connection' event has been handled.
 */
export class ConnectionTracker {
  /** In accept order: the first one without a request in flight is the one to evict. */
  private readonly connections = new Set<TrackedConnection>();
  private readonly byPeer = new Map<string, TrackedConnection>();
  private draining = false;
  private readonly overCap = { evicted: 0, refused: 0 };

  constructor(
    server: Server,
    private readonly maxConnections: number,
    private readonly onOverCap: (outcome: OverCapOutcome) => void = () => {},
  ) {
    // Prepended: room is made before node:http or node:tls set the new socket up.
    server.prependListener('connection', (socket: Socket) => this.add(socket));
  }

  /** Connections open now. */
  get open(): number {
    return this.connections.size;
  }

  /** Connections closed since start because the cap was reached: the oldest idle one, or the new one. */
  get closedAtCap(): { readonly evicted: number; readonly refused: number } {
    return { ...this.overCap };
  }

  /** Counts the request in flight on its connection until its response closes. */
  requestStarted(request: IncomingMessage, response: ServerResponse): void {
    const tracked = this.byPeer.get(peerKey(request.socket));
    if (!tracked) return;
    tracked.inFlight++;
    response.once('close', () => {
      tracked.inFlight--;
      if (this.draining && tracked.inFlight === 0) this.destroy(tracked);
    });
  }

  /** Whether a response may be on its way on this socket (an error status line would corrupt it). */
  hasRequestInFlight(socket: object): boolean {
    // clientError hands a Duplex: in fact the net.Socket or tls.TLSSocket of the connection.
    return (this.byPeer.get(peerKey(socket as Peer))?.inFlight ?? 0) > 0;
  }

  /**
   * Graceful close: destroys every connection without a request in flight now (idle, handshaking,
   * sending headers), each of the others as soon as its last response closes, and any new one.
   */
  drain(): void {
    this.draining = true;
    for (const tracked of this.connections) if (tracked.inFlight === 0) this.destroy(tracked);
  }

  /** Destroys every connection still open. */
  destroyAll(): void {
    for (const tracked of this.connections) this.destroy(tracked);
  }

  private add(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.maxConnections && !this.evictOne()) {
      this.overCap.refused++;
      this.onOverCap('refused');
      socket.destroy();
      return;
    }
    const tracked: TrackedConnection = { socket, key: peerKey(socket), inFlight: 0 };
    this.connections.add(tracked);
    this.byPeer.set(tracked.key, tracked);
    socket.once('close', () => this.forget(tracked));
  }

  private evictOne(): boolean {
    for (const tracked of this.connections) {
      if (tracked.inFlight > 0) continue;
      this.destroy(tracked);
      this.overCap.evicted++;
      this.onOverCap('evicted');
      return true;
    }
    return false;
  }

  /** Its descriptor is released with the handle; it no longer counts from now on. */
  private destroy(tracked: TrackedConnection): void {
    tracked.socket.destroy();
    this.forget(tracked);
  }

  private forget(tracked: TrackedConnection): void {
    this.connections.delete(tracked);
    if (this.byPeer.get(tracked.key) === tracked) this.byPeer.delete(tracked.key);
  }
}

function peerKey(socket: Peer): string {
  return `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;
}
