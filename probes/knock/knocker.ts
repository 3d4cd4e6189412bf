import { Deadlines, sessionLoop } from '../inflight';
import { invalidOption } from '../errors';
import { validateLoop } from '../probe-request';
import {
  acquireTcpSocket,
  FamilySockets,
  sharedSockets,
  type BindOptions,
  type SocketRegistry,
  type TcpSocket,
} from '../socket';
import type { KnockAnswer, KnockResult } from './knock-result';
import { KnockSession, type KnockSessionSpec } from './knock-session';

export interface KnockerOptions {
  /** Source address per family and/or interface. Default: the kernel's choice. */
  bind?: BindOptions;
  /** The shared sockets to use. Default: the process-wide registry. */
  sockets?: SocketRegistry;
}

export interface KnockRequest {
  /** IPv4 or IPv6 literal (resolve names first). */
  addr: string;
  /** TCP port, 1..65535. */
  port: number;
  /** Number of knocks; default Infinity (until the iteration stops or `signal` aborts). */
  count?: number;
  /** Seconds between knocks, measured from the first one so the schedule never drifts; default 1. */
  interval?: number;
  /** Seconds to wait for each answer; default 1. May exceed `interval`. */
  timeout?: number;
  /** TTL / hop limit of the SYNs; default the system's. */
  ttl?: number;
  signal?: AbortSignal;
}

/**
 * TCP "knocks": a SYN to addr:port, timed until the SYN-ACK (port open) or RST (port closed)
 * comes back. RTT and loss as TCP traffic sees them, where ICMP may be filtered or deprioritised.
 * No connection is ever established (see KnockSession).
 */
export class Knocker {
  private readonly sockets: FamilySockets<TcpSocket>;
  private readonly deadlines = new Deadlines();

  private constructor(registry: SocketRegistry, bind: BindOptions | undefined) {
    this.sockets = new FamilySockets(registry, bind, acquireTcpSocket, 'Knocker');
  }

  /** Opens (or joins) the shared raw sockets; fails with ERR_RAW_SOCKET_PERMISSION without CAP_NET_RAW. */
  static async create(options: KnockerOptions = {}): Promise<Knocker> {
    const knocker = new Knocker(options.sockets ?? sharedSockets, options.bind);
    knocker.sockets.get(4);
    return knocker;
  }

  /** Yields the RTT and port state of each knock, or null when nothing came back before the timeout. */
  async *knock(request: KnockRequest): AsyncGenerator<KnockAnswer | null, void, undefined> {
    for await (const result of this.knockDetailed(request)) {
      yield result.rtt === null || result.state === undefined
        ? null
        : { rtt: result.rtt, state: result.state };
    }
  }

  /** Like knock(), with the sequence, source port, answer details and the reason of each failure. */
  async *knockDetailed(request: KnockRequest): AsyncGenerator<KnockResult, void, undefined> {
    const valid = validate(request);
    yield* sessionLoop(this.openSession(valid), {
      maxInFlight: valid.maxInFlight,
      count: valid.count,
      intervalMs: valid.intervalMs,
      stopped: () => this.sockets.closed,
      signal: request.signal,
    });
  }

  /**
   * A session of knocks to one address and port, one SYN per probe() call, from one reserved
   * source port: for callers that schedule knocks themselves (the exporter's scheduler). Close it
   * when done.
   */
  session(request: Omit<KnockRequest, 'count' | 'interval' | 'signal'>): KnockSession {
    return this.openSession(validate(request));
  }

  private openSession(spec: KnockSessionSpec): KnockSession {
    return new KnockSession(
      this.sockets.get(spec.family),
      this.sockets.binding(spec.family),
      spec,
      this.deadlines.forDuration(spec.timeoutMs),
    );
  }

  /** Leaves the shared sockets (the last user closes them). Idempotent. */
  async close(): Promise<void> {
    this.sockets.close();
  }
}

interface ValidRequest extends KnockSessionSpec {
  count: number;
  intervalMs: number;
  maxInFlight: number;
}

function validate(request: Omit<KnockRequest, 'signal'>): ValidRequest {
  if (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535) {
    throw invalidOption('port', request.port, 'an integer from 1 to 65535');
  }
  const loop = validateLoop(request);
  // A literal, not a spread: one hidden class for every session's spec (see the Pinger's validate).
  return {
    family: loop.family,
    destination: loop.destination,
    count: loop.count,
    intervalMs: loop.intervalMs,
    timeoutMs: loop.timeoutMs,
    maxInFlight: loop.maxInFlight,
    ttl: loop.ttl,
    port: request.port,
  };
}
