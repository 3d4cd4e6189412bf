import { ProbeError, rawSocketPermissionError } from '../errors';
import { IpProtocol } from '../packet';
import type { RawTransportOptions } from './raw-transport';

/** The error for a raw socket that socket(2) refused: a permission error says how to grant it. */
export function openFailure(options: RawTransportOptions, error: unknown): ProbeError {
  const what = `${protocolName(options.protocol)}${options.family === 6 ? ' IPv6' : ' IPv4'}`;
  const message = String((error as Error).message);
  if (/not permitted|permission denied/i.test(message)) return rawSocketPermissionError(what, error);
  return new ProbeError('ERR_RAW_SOCKET_OPEN', `cannot open a raw ${what} socket: ${message}`, {
    cause: error,
  });
}

function protocolName(protocol: number): string {
  switch (protocol) {
    case IpProtocol.Icmp:
      return 'ICMP';
    case IpProtocol.Tcp:
      return 'TCP';
    case IpProtocol.Udp:
      return 'UDP';
    case IpProtocol.Icmpv6:
      return 'ICMPv6';
    default:
      return `protocol-${protocol}`;
  }
}
