import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { describe, it } from 'node:test';

import { ProbeError } from '../../../probes';
import { reserveTcpPort } from '../../../probes/socket';

// Runs in the test's own namespace, on loopback only.
const LISTEN_WITHOUT_REUSEADDR =
  'import socket, sys\ns = socket.socket()\ntry:\n  s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("listening")\nexcept OSError as e:\n  print(e.errno)';

describe('reserveTcpPort', () => {
  it('no connect() of the namespace ever leaves from a reserved port', async () => {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const serverPort = (server.address() as { port: number }).port;
    const reserved = Array.from({ length: 200 }, () => reserveTcpPort(4));
    const ports = new Set(reserved.map((r) => r.port));
    assert.equal(ports.size, 200, 'bind(0) never hands out a reserved port twice');
    try {
      for (let i = 0; i < 300; i++) {
        const socket = new Socket();
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.connect(serverPort, '127.0.0.1', resolve);
        });
        assert.equal(ports.has(socket.localPort!), false, `connect() got reserved port ${socket.localPort}`);
        socket.destroy();
      }
    } finally {
      for (const r of reserved) r.release();
      server.close();
    }
  });

  it('a listener without SO_REUSEADDR cannot open on it (EADDRINUSE); the port is free again after release()', () => {
    const reservation = reserveTcpPort(4);
    const attempt = (): string =>
      execFileSync('python3', ['-c', LISTEN_WITHOUT_REUSEADDR, String(reservation.port)])
        .toString()
        .trim();
    assert.equal(attempt(), '98');
    reservation.release();
    reservation.release(); // idempotent
    assert.equal(attempt(), 'listening');
  });

  it('reserves on a given IPv6 address', () => {
    const v6 = reserveTcpPort(6, '::1');
    assert.ok(v6.port > 0);
    assert.equal(v6.address, '::1');
    v6.release();
  });

  it('throws a typed ProbeError for a bad address or port', () => {
    for (const attempt of [
      () => reserveTcpPort(4, '::1'),
      () => reserveTcpPort(4, undefined, 70000),
      () => reserveTcpPort(4, '192.0.2.1'),
    ]) {
      assert.throws(
        attempt,
        (error: unknown) => error instanceof ProbeError && error.code === 'ERR_PORT_RESERVATION',
      );
    }
  });
});
