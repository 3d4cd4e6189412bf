import { readFileSync } from 'node:fs';
import { ExporterError } from '../errors';

/**
 * The bounds every HTTP connection of the exporter meets, whatever the client does. Each one closes
 * a way for a client to hold a descriptor: never speaking, speaking too slowly, staying idle, never
 * finishing a TLS handshake, or simply opening more connections.
 */
export interface ConnectionLimits {
  /**
   * Connections open at once (TLS handshakes and idle keep-alive ones included); the next one is
   * closed as soon as it is accepted. Default: `defaultMaxConnections(readDescriptorLimit())`.
   */
  readonly maxConnections: number;
  /**
   * A request's headers must be complete this long after the connection opened or its previous
   * response was sent (milliseconds, default 10000, exporter-toolkit's usual ReadHeaderTimeout);
   * else 408 and the connection is destroyed.
   */
  readonly headersTimeoutMs: number;
  /** The whole request must have arrived within this (milliseconds, default 30000); else 408 and destroyed. */
  readonly requestTimeoutMs: number;
  /**
   * How often the two deadlines above are checked (milliseconds, default 1000): a deadline is
   * enforced at most this late. Node's default (30 s) let a 10 s headers timeout run to 40 s.
   */
  readonly timeoutCheckIntervalMs: number;
  /** An idle keep-alive connection is closed after this (milliseconds, default 5000, Node's). */
  readonly keepAliveTimeoutMs: number;
  /**
   * A connection with a request in flight is destroyed when no byte was read or written for this
   * long (milliseconds, default 30000): a client that stops reading its response would otherwise
   * hold its connection, and a place under the cap, for as long as it likes.
   */
  readonly idleTimeoutMs: number;
  /** HTTPS: the TLS handshake must finish within this (milliseconds, default 10000); else destroyed. */
  readonly handshakeTimeoutMs: number;
  /**
   * After an error status line (400, 408, 413, 431) the connection is destroyed as soon as the line
   * is handed to the kernel, or after this long if the client does not read it (milliseconds, default 1000).
   */
  readonly rejectLingerMs: number;
  /**
   * Graceful close: connections with a request in flight get this long to finish before every
   * connection still open is destroyed (milliseconds, default 5000).
   */
  readonly closeTimeoutMs: number;
}

/** Prometheus's own `--web.max-connections` default. */
const MAX_CONNECTIONS_CEILING = 512;

export const CONNECTION_LIMIT_DEFAULTS: Omit<ConnectionLimits, 'maxConnections'> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  timeoutCheckIntervalMs: 1_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  handshakeTimeoutMs: 10_000,
  rejectLingerMs: 1_000,
  closeTimeoutMs: 5_000,
};

/**
 * The connection cap for a process allowed `descriptorLimit` open files: a quarter of them, at most
 * Prometheus's 512, at least 1. The other three quarters stay for what must never fail for want of a
 * descriptor: the raw sockets, the TCP port each in-flight knock or trace reserves, DNS, the config
 * files and worker of a reload, the OTLP push. Unknown limit: 512.
 */
export function defaultMaxConnections(descriptorLimit: number | undefined): number {
  if (descriptorLimit === undefined) return MAX_CONNECTIONS_CEILING;
  return Math.max(1, Math.min(MAX_CONNECTIONS_CEILING, Math.floor(descriptorLimit / 4)));
}

/**
 * The soft RLIMIT_NOFILE of this process, from /proc/self/limits (Linux; Node has no getrlimit).
 * Node raises the soft limit to the hard one at start, so this is the hard limit too.
 * Undefined when unlimited or unreadable.
 */
export function readDescriptorLimit(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  const match = /^Max open files\s+(\d+)\s/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Checks user-given limits (a CLI flag, a test): positive integers. Throws a RangeError naming the field. */
export function connectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const limits: ConnectionLimits = {
    maxConnections: given.maxConnections ?? defaultMaxConnections(readDescriptorLimit()),
    ...CONNECTION_LIMIT_DEFAULTS,
    ...withoutUndefined(given),
  };
  for (const [name, value] of Object.entries(limits))
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new ExporterError(
        'ERR_INVALID_OPTION',
        `connection limit ${name} must be a positive integer, got ${String(value)}`,
      );
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new ExporterError(
      'ERR_INVALID_OPTION',
      'connection limit headersTimeoutMs must not exceed requestTimeoutMs',
    );
  return limits;
}

function withoutUndefined(given: Partial<ConnectionLimits>): Partial<ConnectionLimits> {
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
}
