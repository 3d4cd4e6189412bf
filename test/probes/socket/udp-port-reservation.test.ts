import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';

import { reserveUdpPort } from '../../../probes/socket';

/** Binds a plain UDP socket to `port` on loopback; resolves with the error code, or 'bound'. */
function tryBind(family: 4 | 6, port: number): Promise<string> {
  const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
  return new Promise((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(error.code ?? 'error');
    });
    socket.bind(port, family === 4 ? '127.0.0.1' : '::1', () => {
      socket.close();
      resolve('bound');
    });
  });
}

describe('UDP port reservation', () => {
  for (const family of [4, 6] as const) {
    it(`holds an ephemeral port against other binds until released (IPv${family})`, async () => {
      const reservation = await reserveUdpPort(family);
      assert.ok(reservation.port >= 1024, `port ${reservation.port}`);
      assert.equal(reservation.address, family === 4 ? '0.0.0.0' : '::');
      assert.equal(await tryBind(family, reservation.port), 'EADDRINUSE');
      reservation.release();
      reservation.release();
      assert.equal(await tryBind(family, reservation.port), 'bound');
    });
  }

  it('fails with a typed error for a port in use or an address of the other family', async () => {
    const held = await reserveUdpPort(4);
    try {
      await assert.rejects(reserveUdpPort(4, undefined, held.port), { code: 'ERR_PORT_RESERVATION' });
    } finally {
      held.release();
    }
    await assert.rejects(reserveUdpPort(6, '127.0.0.1'), { code: 'ERR_PORT_RESERVATION' });
    await assert.rejects(reserveUdpPort(4, undefined, 70000), { code: 'ERR_PORT_RESERVATION' });
  });
});
