import { ExporterError } from '../errors';
import type { ListenAddress } from '../server';

/** What each failure of listen(2) means to whoever chose the address, for one line at start. */
const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE:
    'address in use (another process listens there: stop it or choose another --web.listen-address)',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE: choose a port above 1023)',
  EADDRNOTAVAIL: 'this host has no such address (choose one of its addresses, or :PORT for every one)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (temporary DNS failure)',
};

/**
 * The error a failed listen becomes: `cannot listen on 127.0.0.1:9427: address in use (…)`, code
 * ERR_LISTEN, the system error as its cause. An error of another kind is returned as is.
 */
export function listenError(error: unknown, listen: ListenAddress): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason === undefined) return error;
  return new ExporterError('ERR_LISTEN', `cannot listen on ${listenText(listen)}: ${reason}`, {
    cause: error,
  });
}

function listenText({ host, port }: ListenAddress): string {
  if (host === undefined) return `:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
