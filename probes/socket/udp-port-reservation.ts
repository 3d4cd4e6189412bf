// A UDP port held for the lifetime of a trace flow that sends raw UDP probes from it.
//
// A dgram socket bound to the port (never connected) keeps the kernel from handing it to another
// program's bind(0) or connect(): their UDP traffic cannot collide with the flow's 5-tuple, and no
// other program reads the answers our probes provoke. Without IP_RECVERR and unconnected, the socket
// ignores the ICMP errors quoting our probes; the raw ICMP socket reads them.
import { createSocket, type Socket } from 'node:dgram';

import { ProbeError } from '../errors';
import { ipFamily, type IpFamily } from '../packet';

export interface UdpPortReservation {
  readonly port: number;
  readonly address: string;
  /** Gives the port back; idempotent. */
  release(): void;
}

/**
 * Binds a UDP socket to `address` (default the wildcard of `family`, which holds the port for every
 * address) and `port` (0, the default: the kernel's choice among the ephemeral ports).
 * Rejects with ProbeError ERR_PORT_RESERVATION (e.g. EADDRINUSE, EADDRNOTAVAIL).
 */
export function reserveUdpPort(family: IpFamily, address?: string, port = 0): Promise<UdpPortReservation> {
  const bindAddress = address ?? (family === 4 ? '0.0.0.0' : '::');
  if (ipFamily(bindAddress) !== family) {
    return Promise.reject(
      new ProbeError(
        'ERR_PORT_RESERVATION',
        `cannot reserve UDP port on "${bindAddress}": not an IPv${family} address`,
      ),
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    return Promise.reject(
      new ProbeError('ERR_PORT_RESERVATION', `cannot reserve UDP port ${String(port)}: not in 0..65535`),
    );
  }
  const socket: Socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', ipv6Only: family === 6 });
  return new Promise<UdpPortReservation>((resolve, reject) => {
    const fail = (error: Error): void => {
      socket.close();
      reject(
        new ProbeError(
          'ERR_PORT_RESERVATION',
          `cannot reserve UDP port ${port} on ${bindAddress}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    socket.once('error', fail);
    socket.bind({ address: bindAddress, port, exclusive: true }, () => {
      socket.off('error', fail);
      // Datagrams sent to the port (a target answering the probe) are read and dropped.
      socket.on('message', () => {});
      socket.on('error', () => {});
      socket.unref();
      let held = true;
      resolve({
        port: socket.address().port,
        address: bindAddress,
        release(): void {
          if (!held) return;
          held = false;
          socket.close();
        },
      });
    });
  });
}
