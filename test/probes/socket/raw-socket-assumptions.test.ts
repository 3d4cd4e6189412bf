// What probes/socket/raw-transport.ts relies on in `raw-socket` beyond its documented API: the native
// handle (`wrap`) and its events, the send queue (`requests`), synchronous callbacks, and EAGAIN
// reported as strerror's text. The package is pinned to one version; a new version must pass this
// before the pin moves. The sockets below need CAP_NET_RAW (the tests run as root) and use IP
// protocol 253 (RFC 3692, experimentation) on loopback, which nothing else on the host sends.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';

import * as raw from 'raw-socket';
import { WOULD_BLOCK } from '../../../probes/socket/raw-transport';
import * as options from '../../../probes/socket/socket-options';
import { repoRoot } from '../../support/paths';

const EXPERIMENTAL_PROTOCOL = 253;
const IPV4_HEADER_BYTES = 20;

interface PackageJson {
  version: string;
  dependencies: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/** The addon's own exports: SocketWrap is what `socket.wrap` is an instance of. */
const native = createRequire(__filename)('raw-socket/build/Release/raw.node') as {
  SocketWrap: { prototype: Record<string, unknown> } & (new (...args: never[]) => unknown);
};

describe('raw-socket assumptions', { timeout: 10_000 }, () => {
  const opened: raw.Socket[] = [];
  const open = (): raw.Socket => {
    const socket = raw.createSocket({
      protocol: EXPERIMENTAL_PROTOCOL,
      addressFamily: raw.AddressFamily.IPv4,
    });
    opened.push(socket);
    return socket;
  };
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.close();
  });

  it('the installed version is the exact one package.json and package-lock.json pin', () => {
    const installed = readJson<PackageJson>(require.resolve('raw-socket/package.json')).version;
    const wanted = readJson<PackageJson>(path.join(repoRoot, 'package.json')).dependencies['raw-socket'];
    assert.equal(wanted, installed, 'package.json pins raw-socket to the installed version, without a range');
    const lock = readJson<{ packages: Record<string, PackageJson> }>(
      path.join(repoRoot, 'package-lock.json'),
    );
    assert.equal(lock.packages['']?.dependencies['raw-socket'], wanted);
    assert.equal(lock.packages['node_modules/raw-socket']?.version, installed);
  });

  it('names the address families, levels and options as probes/socket writes them', () => {
    assert.equal(raw.AddressFamily.IPv4, 1);
    assert.equal(raw.AddressFamily.IPv6, 2);
    const { SocketLevel: level, SocketOption: option } = raw;
    assert.deepEqual(
      {
        SOL_SOCKET: level.SOL_SOCKET,
        IPPROTO_IP: level.IPPROTO_IP,
        IPPROTO_IPV6: level.IPPROTO_IPV6,
        SO_SNDBUF: option.SO_SNDBUF,
        SO_RCVBUF: option.SO_RCVBUF,
        SO_BINDTODEVICE: option.SO_BINDTODEVICE,
        IP_TTL: option.IP_TTL,
        IP_HDRINCL: option.IP_HDRINCL,
        IPV6_UNICAST_HOPS: option.IPV6_UNICAST_HOPS,
      },
      {
        SOL_SOCKET: options.SOL_SOCKET,
        IPPROTO_IP: options.IPPROTO_IP,
        IPPROTO_IPV6: options.IPPROTO_IPV6,
        SO_SNDBUF: options.SO_SNDBUF,
        SO_RCVBUF: options.SO_RCVBUF,
        SO_BINDTODEVICE: options.SO_BINDTODEVICE,
        IP_TTL: options.IP_TTL,
        IP_HDRINCL: options.IP_HDRINCL,
        IPV6_UNICAST_HOPS: options.IPV6_UNICAST_HOPS,
      },
    );
  });

  it('has the methods raw-transport calls, on Socket and on the native SocketWrap (an EventEmitter)', () => {
    assert.equal(typeof raw.createSocket, 'function');
    for (const method of ['send', 'setOption', 'close', 'on'] as const)
      assert.equal(typeof raw.Socket.prototype[method], 'function', `Socket.prototype.${method}`);
    for (const method of ['recv', 'send', 'setOption', 'close', 'on', 'removeAllListeners', 'emit'])
      assert.equal(typeof native.SocketWrap.prototype[method], 'function', `SocketWrap.prototype.${method}`);
  });

  it('a Socket holds its native handle as `wrap`, its send queue as the array `requests`, and reads on the wrap\'s "recvReady"', () => {
    const socket = open();
    assert.ok(socket.wrap instanceof native.SocketWrap, 'socket.wrap is the native SocketWrap');
    assert.ok(Array.isArray(socket.requests), 'socket.requests is an array');
    assert.equal(socket.requests.length, 0);
    // raw-transport replaces this one listener (Socket's own read, which allocates a Buffer per packet).
    assert.equal(socket.wrap.listenerCount('recvReady'), 1);
  });

  it('wrap.recv throws exactly WOULD_BLOCK when nothing waits; wrap.send and wrap.recv call back before returning', async () => {
    const socket = open();
    socket.wrap.removeAllListeners('recvReady');
    const drain = (): unknown => {
      for (let i = 0; i < 1000; i++) {
        try {
          socket.wrap.recv(Buffer.alloc(65536), () => {});
        } catch (error) {
          return error;
        }
      }
      return undefined;
    };
    const error = drain();
    assert.ok(error instanceof Error, 'an empty socket throws');
    assert.equal(error.message, WOULD_BLOCK);
    assert.equal((error as NodeJS.ErrnoException).code, undefined, 'no code to test instead of the text');

    const payload = Buffer.from('raw-socket assumptions');
    let sent = -1;
    const readable = once(socket.wrap, 'recvReady');
    socket.wrap.send(payload, 0, payload.length, '127.0.0.1', (bytes) => (sent = bytes));
    assert.equal(sent, payload.length, 'the send callback ran before send returned');
    await readable;

    let read: { bytes: number; source: string } | undefined;
    const buffer = Buffer.alloc(65536);
    socket.wrap.recv(buffer, (into, bytes, source) => {
      assert.equal(into, buffer, 'called back with the buffer given');
      read = { bytes, source };
    });
    assert.deepEqual(read, { bytes: IPV4_HEADER_BYTES + payload.length, source: '127.0.0.1' });
    assert.deepEqual(buffer.subarray(IPV4_HEADER_BYTES, IPV4_HEADER_BYTES + payload.length), payload);
  });

  it('wrap.send throws a failure synchronously as strerror text (EMSGSIZE here), without a code', () => {
    const socket = open();
    const tooLong = Buffer.alloc(70_000);
    assert.throws(
      () =>
        socket.wrap.send(tooLong, 0, tooLong.length, '127.0.0.1', () =>
          assert.fail('no callback on failure'),
        ),
      (error: Error & { code?: unknown }) => error.message === 'Message too long' && error.code === undefined,
    );
  });

  it('Socket.send queues in `requests`, then calls beforeCallback and afterCallback(null, bytes) on the writable event', async () => {
    const socket = open();
    const payload = Buffer.from('queued');
    const calls: string[] = [];
    const done = new Promise<number>((resolve, reject) => {
      socket.send(
        payload,
        0,
        payload.length,
        '127.0.0.1',
        () => calls.push('before'),
        (error, bytes) => {
          calls.push('after');
          if (error) reject(error);
          else resolve(bytes);
        },
      );
    });
    assert.equal(socket.requests.length, 1, 'queued at once, sent on the writable event');
    assert.equal(await done, payload.length);
    assert.deepEqual(calls, ['before', 'after']);
    assert.equal(socket.requests.length, 0);
  });
});
