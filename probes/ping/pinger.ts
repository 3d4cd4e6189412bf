import { ProbeError, invalidOption } from '../errors';
import { canonicalAddress, ipFamily, type IpFamily } from '../packet';
import {
  bindingFor,
  sharedSockets,
  type BindOptions,
  type EchoExpectation,
  type FamilyBinding,
  type IcmpSocket,
  type SocketRegistry,
} from '../socket';
import { encodeEchoRequest } from './echo-request';
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

export type PingFailure =
  | { reason: 'timeout' }
  | { reason: 'unreachable'; type: number; code: number; from: string }
  | { reason: 'send'; message: string };

export interface PingResult {
  /** 0 for the first request of this ping() call. */
  seq: number;
  /** Round-trip time in seconds, or null when no reply came. */
  rtt: number | null;
  /** ICMP bytes of the reply. */
  bytes?: number;
  /** TTL of the reply (IPv4 only). */
  ttl?: number;
  failure?: PingFailure;
}

const TOKEN_BYTES = 8;
const MAX_PAYLOAD = 65_507 - 8;

/**
 * ICMP / ICMPv6 echo over the process's shared raw sockets.
 *
 * A reply is accepted only when its source, identifier, sequence and the random token at the
 * start of its payload all match the request, so concurrent pings never cross-match.
 */
export class Pinger {
  private readonly sockets = new Map<IpFamily, IcmpSocket>();
  private readonly tokens = new TokenSource();
  private readonly bindings: Record<IpFamily, FamilyBinding>;
  private closed = false;

  private constructor(
    private readonly registry: SocketRegistry,
    bind: BindOptions | undefined,
  ) {
    this.bindings = { 4: bindingFor(bind, 4), 6: bindingFor(bind, 6) };
  }

  /** Opens (or joins) the shared raw sockets; fails with ERR_RAW_SOCKET_PERMISSION without CAP_NET_RAW. */
  static async create(options: PingerOptions = {}): Promise<Pinger> {
    const pinger = new Pinger(options.sockets ?? sharedSockets, options.bind);
    pinger.socketFor(4);
    return pinger;
  }

  /** Yields the RTT of each request in seconds, or null when no reply came before the timeout. */
  async *ping(request: PingRequest): AsyncGenerator<number | null, void, undefined> {
    for await (const result of this.pingDetailed(request)) yield result.rtt;
  }

  /** Like ping(), with the sequence, reply details and the reason of each failure. */
  async *pingDetailed(request: PingRequest): AsyncGenerator<PingResult, void, undefined> {
    const { family, destination, count, intervalMs, timeoutMs, size } = validate(request);
    const socket = this.socketFor(family);
    const identifiers = this.registry.identifiers[family];
    const identifier = identifiers.allocate();
    const binding = this.bindings[family];
    const inflight: Array<{ result: Promise<PingResult>; cancel: () => void }> = [];
    const start = performance.now();
    let sent = 0;
    try {
      for (let yielded = 0; yielded < count; ) {
        if (request.signal?.aborted || this.closed) return;
        while (sent < count && performance.now() >= start + sent * intervalMs) {
          inflight.push(this.sendOne(socket, binding, family, destination, identifier, sent++, size, timeoutMs, request.ttl));
        }
        const head = inflight[0];
        const nextDue = sent < count ? start + sent * intervalMs : Infinity;
        if (head) {
          const settled = await raceUntil(head.result, nextDue, request.signal);
          if (settled === undefined) continue;
          inflight.shift();
          yielded++;
          yield settled;
        } else {
          await sleepUntil(nextDue, request.signal);
        }
      }
    } finally {
      for (const probe of inflight) probe.cancel();
      identifiers.release(identifier);
    }
  }

  /** Leaves the shared sockets (the last user closes them). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.sockets.values()) this.registry.release(socket);
    this.sockets.clear();
  }

  private socketFor(family: IpFamily): IcmpSocket {
    if (this.closed) throw new ProbeError('ERR_CLOSED', 'the Pinger is closed');
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = this.registry.acquireIcmp(family, this.bindings[family]);
      this.sockets.set(family, socket);
    }
    return socket;
  }

  private sendOne(
    socket: IcmpSocket,
    binding: FamilyBinding,
    family: IpFamily,
    destination: string,
    identifier: number,
    seq: number,
    size: number,
    timeoutMs: number,
    ttl: number | undefined,
  ): { result: Promise<PingResult>; cancel: () => void } {
    const payload = Buffer.alloc(size);
    this.tokens.fill(payload, 0, TOKEN_BYTES);
    const sequence = seq & 0xffff;
    let cancel = (): void => {};
    const result = new Promise<PingResult>((resolve) => {
      let sentAt = 0n;
      let timer: NodeJS.Timeout | undefined;
      const settle = (value: PingResult): void => {
        clearTimeout(timer);
        socket.forget(expectation);
        resolve(value);
      };
      const expectation: EchoExpectation = {
        identifier,
        sequence,
        destination,
        token: payload.subarray(0, TOKEN_BYTES),
        payloadLength: size,
        onReply: (receivedAt, info) =>
          settle({ seq, rtt: Number(receivedAt - sentAt) / 1e9, bytes: info.bytes, ...(info.ttl !== undefined && { ttl: info.ttl }) }),
        onError: (_receivedAt, error) => settle({ seq, rtt: null, failure: { reason: 'unreachable', ...error } }),
      };
      cancel = () => settle({ seq, rtt: null, failure: { reason: 'timeout' } });
      if (!socket.expect(expectation)) {
        resolve({ seq, rtt: null, failure: { reason: 'send', message: 'identifier and sequence still in flight' } });
        return;
      }
      timer = setTimeout(cancel, timeoutMs);
      const packet = encodeEchoRequest({
        family,
        identifier,
        sequence,
        payload,
        destination,
        ...(binding.source !== undefined && { source: binding.source }),
        ...(ttl !== undefined && { hopLimit: ttl }),
      });
      socket.send(
        packet,
        destination,
        (at) => (sentAt = at),
        (error) => settle({ seq, rtt: null, failure: { reason: 'send', message: error.message } }),
        binding.source === undefined ? ttl : undefined,
      );
    });
    return { result, cancel };
  }
}

interface ValidRequest {
  family: IpFamily;
  destination: string;
  count: number;
  intervalMs: number;
  timeoutMs: number;
  size: number;
}

function validate(request: PingRequest): ValidRequest {
  const family = ipFamily(request.addr);
  if (family === 0) {
    throw new ProbeError('ERR_INVALID_ADDRESS', `addr: "${request.addr}" is not an IP address (resolve names first)`);
  }
  const count = request.count ?? Infinity;
  const interval = request.interval ?? 1;
  const timeout = request.timeout ?? 1;
  const size = request.size ?? 56;
  if (!(count >= 0) || (Number.isFinite(count) && !Number.isInteger(count))) {
    throw invalidOption('count', count, 'a non-negative integer or Infinity');
  }
  if (!(interval >= 0) || !Number.isFinite(interval)) throw invalidOption('interval', interval, 'seconds >= 0');
  if (!(timeout > 0) || !Number.isFinite(timeout)) throw invalidOption('timeout', timeout, 'seconds > 0');
  if (!Number.isInteger(size) || size < TOKEN_BYTES || size > MAX_PAYLOAD) {
    throw invalidOption('size', size, `an integer from ${TOKEN_BYTES} to ${MAX_PAYLOAD}`);
  }
  if (request.ttl !== undefined && (!Number.isInteger(request.ttl) || request.ttl < 1 || request.ttl > 255)) {
    throw invalidOption('ttl', request.ttl, 'an integer from 1 to 255');
  }
  return {
    family,
    destination: canonicalAddress(request.addr),
    count,
    intervalMs: interval * 1000,
    timeoutMs: timeout * 1000,
    size,
  };
}

/** Resolves with the promise's value, or undefined at `deadline` (performance.now() ms) or on abort. */
function raceUntil<T>(promise: Promise<T>, deadline: number, signal?: AbortSignal): Promise<T | undefined> {
  if (deadline === Infinity && !signal) return promise;
  return Promise.race([promise, sleepUntil(deadline, signal)]);
}

function sleepUntil(deadline: number, signal?: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(undefined);
    };
    const delay = deadline - performance.now();
    const timer = delay === Infinity ? undefined : setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(undefined);
    }, Math.max(0, delay));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
