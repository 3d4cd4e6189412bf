// A TCP port held in the kernel's bind table for the lifetime of a probe that sends raw SYNs from it.
//
// The handle is Node's internal TCP handle (libuv), bound and never listening or connecting. What the
// kernel then does (Linux, verified by test/probes/socket/port-reservation.test.ts):
// - connect() without bind(), and bind() to port 0, never pick the port: the ephemeral port search
//   skips ports that have a bind bucket created by bind(), so no connection of any program of the
//   namespace can leave from it and collide with a probe.
// - bind() of the port by a socket without SO_REUSEADDR fails with EADDRINUSE (so does its listen()).
//   libuv sets SO_REUSEADDR on the handle, so a program that sets SO_REUSEADDR too may still bind the
//   port and listen on it (Linux allows that while no other socket listens there). That does not
//   change what a probe sees: a SYN-ACK arriving for the port finds no connection, whether there is a
//   listener or none, and the kernel answers it with an RST.
// - A bound-only socket is in no lookup table of incoming segments, so the SYN-ACK a probe provokes
//   is answered by the kernel with exactly one RST, which is what leaves the target clean.
import { getSystemErrorName } from 'node:util';

import { ProbeError } from '../errors';
import { ipFamily, type IpFamily } from '../packet';

/** A TCP port held in the kernel's bind table (bound, never listening) so no connect() or other program picks it. */
export interface PortReservation {
  readonly port: number;
  readonly address: string;
  /** Gives the port back; idempotent. */
  release(): void;
}

let binding: NodeJS.TcpWrapBinding | undefined;

function tcpWrap(): NodeJS.TcpWrapBinding {
  binding ??= process.binding('tcp_wrap');
  return binding;
}

function failure(what: string, errno: number, handle: NodeJS.TcpWrapHandle): ProbeError {
  handle.close();
  let name: string;
  try {
    name = getSystemErrorName(errno);
  } catch {
    name = `errno ${-errno}`;
  }
  return new ProbeError('ERR_PORT_RESERVATION', `cannot reserve TCP port: ${what} failed with ${name}`);
}

/**
 * Binds a TCP socket to `address` (default the wildcard of `family`, which holds the port for
 * every address) and `port` (0, the default: the kernel's choice among the ephemeral ports).
 * Throws ProbeError ERR_PORT_RESERVATION (e.g. EADDRINUSE, EADDRNOTAVAIL).
 */
export function reserveTcpPort(family: IpFamily, address?: string, port = 0): PortReservation {
  const bindAddress = address ?? (family === 4 ? '0.0.0.0' : '::');
  if (ipFamily(bindAddress) !== family) {
    throw new ProbeError(
      'ERR_PORT_RESERVATION',
      `cannot reserve TCP port on "${bindAddress}": not an IPv${family} address`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new ProbeError('ERR_PORT_RESERVATION', `cannot reserve TCP port ${String(port)}: not in 0..65535`);
  }
  const { TCP, constants } = tcpWrap();
  const handle = new TCP(constants.SOCKET);
  const bound = family === 4 ? handle.bind(bindAddress, port) : handle.bind6(bindAddress, port, 0);
  if (bound !== 0) throw failure(`bind(${bindAddress}, ${port})`, bound, handle);
  const name: NodeJS.TcpWrapAddress = {};
  const named = handle.getsockname(name);
  if (named !== 0 || name.port === undefined) throw failure('getsockname', named, handle);
  let held = true;
  return {
    port: name.port,
    address: bindAddress,
    release(): void {
      if (!held) return;
      held = false;
      handle.close();
    },
  };
}
