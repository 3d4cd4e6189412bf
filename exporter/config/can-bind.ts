import { createSocket } from 'node:dgram';

/**
 * Whether this host lets a socket bind to `address` (a UDP socket, port 0, closed at once): undefined
 * if it does, else the system error's code (EADDRNOTAVAIL for an address the host does not have).
 * What the kernel accepts counts, AnyIP local routes and `ip_nonlocal_bind` included. Imports
 * nothing of the config reader, so that the one-shot CLI commands can use it without loading YAML.
 */
export function bindProblem(address: string, family: 4 | 6): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(error.code ?? 'ERR_UNKNOWN');
    });
    socket.bind({ address, port: 0, exclusive: true }, () => {
      socket.close();
      resolve(undefined);
    });
  });
}
