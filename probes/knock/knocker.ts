import { Deadlines, sessionLoop } from '../inflight';
import { ProbeError, invalidOption } from '../errors';
import { canonicalAddress, ipFamily, type IpFamily } from '../packet';
import {
  acquireTcpSocket,
  bindingFor,
  sharedSockets,
  type BindOptions,
  type FamilyBinding,
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
  private readonly sockets = new Map<IpFamily, TcpSocket>();
  private readonly bindings: Record<IpFamily, FamilyBinding>;
  private readonly deadlines = new Deadlines();
  private closed = false;

  private constructor(
    private readonly registry: SocketRegistry,
    bind: BindOptions | undefined,
  ) {
    this.bindings = { 4: bindingFor(bind, 4), 6: bindingFor(bind, 6) };
  }

  /** Opens (or joins) the shared raw sockets; fails with ERR_RAW_SOCKET_PERMISSION without CAP_NET_RAW. */
  static async create(options: KnockerOptions = {}): Promise<Knocker> {
    const knocker = new Knocker(options.sockets ?? sharedSockets, options.bind);
    knocker.socketFor(4);
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
    const { count, intervalMs, ...spec } = validate(request);
    yield* sessionLoop(this.openSession(spec), {
      count,
      intervalMs,
      stopped: () => this.closed,
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
      this.socketFor(spec.family),
      this.bindings[spec.family],
      spec,
      this.deadlines.forDuration(spec.timeoutMs),
    );
  }

  /** Leaves the shared sockets (the last user closes them). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.sockets.values()) this.registry.release(socket);
    this.sockets.clear();
  }

  private socketFor(family: IpFamily): TcpSocket {
    if (this.closed) throw new ProbeError('ERR_CLOSED', 'the Knocker is closed');
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = acquireTcpSocket(this.registry, family, this.bindings[family]);
      this.sockets.set(family, socket);
    }
    return socket;
  }
}

interface ValidRequest extends KnockSessionSpec {
  count: number;
  intervalMs: number;
}

function validate(request: Omit<KnockRequest, 'signal'>): ValidRequest {
  const family = ipFamily(request.addr);
  if (family === 0) {
    throw new ProbeError(
      'ERR_INVALID_ADDRESS',
      `addr: "${request.addr}" is not an IP address (resolve names first)`,
    );
  }
  const count = request.count ?? Infinity;
  const interval = request.interval ?? 1;
  const timeout = request.timeout ?? 1;
  if (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535) {
    throw invalidOption('port', request.port, 'an integer from 1 to 65535');
  }
  if (!(count >= 0) || (Number.isFinite(count) && !Number.isInteger(count))) {
    throw invalidOption('count', count, 'a non-negative integer or Infinity');
  }
  if (!(interval >= 0) || !Number.isFinite(interval))
    throw invalidOption('interval', interval, 'seconds >= 0');
  if (!(timeout > 0) || !Number.isFinite(timeout)) throw invalidOption('timeout', timeout, 'seconds > 0');
  if (request.ttl !== undefined && (!Number.isInteger(request.ttl) || request.ttl < 1 || request.ttl > 255)) {
    throw invalidOption('ttl', request.ttl, 'an integer from 1 to 255');
  }
  return {
    family,
    destination: canonicalAddress(request.addr),
    port: request.port,
    count,
    intervalMs: interval * 1000,
    timeoutMs: timeout * 1000,
    ...(request.ttl !== undefined && { ttl: request.ttl }),
  };
}
