import { Deadlines, sessionLoop } from '../inflight';
import { invalidOption } from '../errors';
import { validateLoop } from '../probe-request';
import {
  FamilySockets,
  sharedSockets,
  type BindOptions,
  type IcmpSocket,
  type SocketRegistry,
} from '../socket';
import type { IpFamily } from '../packet';
import { EchoIdentifiers } from './echo-identifiers';
import { EchoSession, TOKEN_BYTES, type EchoSessionSpec } from './echo-session';
import type { PingResult } from './ping-result';
import { TokenSource } from './token-source';

export interface PingerOptions {
  /** Source address per family and/or interface. Default: the kernel's choice. */
  bind?: BindOptions;
  /** The shared sockets to use. Default: the process-wide registry. */
  sockets?: SocketRegistry;
}

export interface PingRequest {
  /** IPv4 or IPv6 literal (resolve names first). */
  addr: string;
  /** Number of echo requests; default Infinity (until the iteration stops or `signal` aborts). */
  count?: number;
  /** Seconds between requests, measured from the first one so the schedule never drifts; default 1. */
  interval?: number;
  /** Seconds to wait for each reply; default 1. May exceed `interval`. */
  timeout?: number;
  /** ICMP payload bytes (like ping -s); default 56, minimum 8 (the token). */
  size?: number;
  /** TTL / hop limit of the requests; default the system's. */
  ttl?: number;
  signal?: AbortSignal;
}

const MAX_PAYLOAD = 65_507 - 8;

/**
 * ICMP / ICMPv6 echo over the process's shared raw sockets.
 *
 * A reply is accepted only when its source, identifier, sequence and the random token at the
 * start of its payload all match the request, so concurrent pings never cross-match.
 */
export class Pinger {
  private readonly sockets: FamilySockets<IcmpSocket>;
  private readonly tokens = new TokenSource();
  private readonly deadlines = new Deadlines();
  /** Per family, the identifiers every session of this Pinger sends under (see EchoIdentifiers). */
  private readonly echoIdentifiers: Partial<Record<IpFamily, EchoIdentifiers>> = {};

  private constructor(
    private readonly registry: SocketRegistry,
    bind: BindOptions | undefined,
  ) {
    this.sockets = new FamilySockets(
      registry,
      bind,
      (sockets, family, binding) => sockets.acquireIcmp(family, binding),
      'Pinger',
    );
  }

  /** Opens (or joins) the shared raw sockets; fails with ERR_RAW_SOCKET_PERMISSION without CAP_NET_RAW. */
  static async create(options: PingerOptions = {}): Promise<Pinger> {
    const pinger = new Pinger(options.sockets ?? sharedSockets, options.bind);
    pinger.sockets.get(4);
    return pinger;
  }

  /** Yields the RTT of each request in seconds, or null when no reply came before the timeout. */
  async *ping(request: PingRequest): AsyncGenerator<number | null, void, undefined> {
    for await (const result of this.pingDetailed(request)) yield result.rtt;
  }

  /** Like ping(), with the sequence, reply details and the reason of each failure. */
  async *pingDetailed(request: PingRequest): AsyncGenerator<PingResult, void, undefined> {
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
   * A session of echo requests to one address, one request per probe() call: for callers that
   * schedule requests themselves (the exporter's scheduler). Close it when done.
   */
  session(request: Omit<PingRequest, 'count' | 'interval' | 'signal'>): EchoSession {
    return this.openSession(validate(request));
  }

  private openSession(spec: EchoSessionSpec): EchoSession {
    const socket = this.sockets.get(spec.family);
    const identifiers = (this.echoIdentifiers[spec.family] ??= new EchoIdentifiers(
      this.registry.identifiers[spec.family],
      () => this.tokens.next32(),
    ));
    return new EchoSession(
      socket,
      identifiers,
      this.sockets.binding(spec.family),
      this.tokens,
      spec,
      this.deadlines.forDuration(spec.timeoutMs),
    );
  }

  /** Leaves the shared sockets (the last user closes them). Idempotent. */
  async close(): Promise<void> {
    this.sockets.close();
  }
}

interface ValidRequest extends EchoSessionSpec {
  count: number;
  intervalMs: number;
  maxInFlight: number;
}

function validate(request: PingRequest): ValidRequest {
  const size = request.size ?? 56;
  if (!Number.isInteger(size) || size < TOKEN_BYTES || size > MAX_PAYLOAD) {
    throw invalidOption('size', size, `an integer from ${TOKEN_BYTES} to ${MAX_PAYLOAD}`);
  }
  const loop = validateLoop(request);
  // A literal, not `{ ...loop, size }`: V8 gives each object so made a hidden class of its own, and
  // a session's spec is read at every probe, so ten thousand sessions made each of those reads a
  // megamorphic lookup (bench/results.md, "Exporter, 2026-12-02: where the CPU went").
  return {
    family: loop.family,
    destination: loop.destination,
    count: loop.count,
    intervalMs: loop.intervalMs,
    timeoutMs: loop.timeoutMs,
    maxInFlight: loop.maxInFlight,
    ttl: loop.ttl,
    size,
  };
}
