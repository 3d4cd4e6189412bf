import { usageError } from '../errors';

export interface ListenAddress {
  /** Undefined: every interface. */
  host?: string;
  port: number;
}

/** Parses `[HOST]:PORT`, `HOST:PORT` or `:PORT` (IPv6 hosts in brackets). */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !(port >= 0 && port <= 65535)) {
    throw usageError(
      `--web.listen-address: "${text}" is not [HOST]:PORT (e.g. ":9469", "127.0.0.1:9469", "[::1]:9469")`,
    );
  }
  const host = match[1] ?? match[2];
  return host ? { host, port } : { port };
}
