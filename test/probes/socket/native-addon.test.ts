// The edges of native/raw_socket.cc, through its typed door. The sockets need CAP_NET_RAW (the tests
// run as root) and use IP protocol 253 (RFC 3692, experimentation) on loopback, which nothing else on
// the host sends: a raw socket of that protocol receives exactly the packets the test sends.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { createSocket } from 'node:dgram';

import {
  loadNativeAddon,
  READY_ERRORS,
  READY_READABLE,
  TIMESTAMPS_RECEIVE,
  TIMESTAMPS_SEND,
  type NativeAddon,
  type NativeRawSocket,
} from '../../../probes/socket/native-addon';
import { IpProtocol } from '../../../probes/packet';
import { IPPROTO_IP, IP_RECVERR, IP_TTL, SOL_SOCKET } from '../../../probes/socket/socket-options';

const EXPERIMENTAL_PROTOCOL = 253;
const SLOT_BYTES = 2048;
const SLOTS = 4;

const loaded = loadNativeAddon();
if (loaded instanceof Error) throw loaded; // the build is part of `npm ci`: a missing addon is a failure here
const addon: NativeAddon = loaded;

/** What one receive() call gives back, copied out of the reused arrays. */
function receiveAll(socket: NativeRawSocket) {
  const buffer = Buffer.alloc(SLOTS * SLOT_BYTES);
  const lengths = new Int32Array(SLOTS);
  const times = new BigInt64Array(SLOTS);
  const details = new Int32Array(2 * SLOTS);
  const addresses = Buffer.alloc(16 * SLOTS);
  const count = socket.receive(buffer, SLOT_BYTES, lengths, times, details, addresses);
  if (count instanceof Error) throw count;
  return {
    count,
    packets: Array.from({ length: Math.max(count, 0) }, (_, i) => ({
      bytes: buffer.subarray(i * SLOT_BYTES, i * SLOT_BYTES + lengths[i]!),
      receivedAt: times[i]!,
      hopLimit: details[2 * i]!,
      kernelStamp: details[2 * i + 1] === 1,
      address: addresses.subarray(i * 16, i * 16 + 16),
    })),
  };
}

describe('native raw socket addon', { timeout: 10_000 }, () => {
  const opened: NativeRawSocket[] = [];
  const open = (family: 4 | 6 = 4): NativeRawSocket => {
    const socket = new addon.RawSocket(family, EXPERIMENTAL_PROTOCOL);
    opened.push(socket);
    return socket;
  };
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.close();
  });

  it('refuses a family other than 4 or 6 and a protocol outside 1..255, before any system call', () => {
    assert.throws(() => new addon.RawSocket(5 as 4, 1), RangeError);
    assert.throws(() => new addon.RawSocket(4, 0), RangeError);
    assert.throws(() => new addon.RawSocket(6, 256), RangeError);
    assert.throws(() => new addon.RawSocket('4' as unknown as 4, 1), TypeError);
  });

  it('reports a refused option with its errno code, and the socket stays usable', () => {
    const socket = open();
    assert.throws(() => socket.setOption(SOL_SOCKET, 9999, 1), { code: 'ENOPROTOOPT' });
    socket.setOption(IPPROTO_IP, IP_TTL, 7);
    assert.equal(socket.getOption(IPPROTO_IP, IP_TTL), 7);
  });

  it('an empty socket reads nothing (EAGAIN is 0, not an exception); a bad address is an EINVAL Error', () => {
    const socket = open();
    assert.equal(receiveAll(socket).count, 0);
    const times = new BigInt64Array(2);
    const invalid = { code: 'EINVAL', syscall: 'sendmsg', message: 'Invalid argument' };
    for (const address of ['not-an-address', '::1']) {
      const result = socket.send(Buffer.alloc(4), 4, address, times);
      assert.ok(result instanceof Error, `${address}: an Error, not thrown`);
      assert.deepEqual(
        {
          code: (result as NodeJS.ErrnoException).code,
          syscall: (result as NodeJS.ErrnoException).syscall,
          message: result.message,
        },
        invalid,
      );
    }
    assert.throws(() => socket.send(Buffer.alloc(4), 5, '127.0.0.1', times), RangeError);
  });

  it('a closed socket throws EBADF on use, and closes again without effect', () => {
    const socket = open();
    socket.close();
    socket.close();
    assert.throws(() => socket.setOption(IPPROTO_IP, IP_TTL, 1), { code: 'EBADF' });
    assert.throws(() => receiveAll(socket), { code: 'EBADF' });
    assert.equal(socket.drainErrors(), 0);
  });

  it('reports send errors for IPv4 sockets only (IPv6 ones report ENOBUFS without IP_RECVERR)', () => {
    open(4).reportSendErrors();
    assert.throws(() => open(6).reportSendErrors(), { code: 'EINVAL' });
  });

  it('holds IP_RECVERR from the first send of a batch to endSends, which keeps the late stamps it reads', () => {
    const socket = open(4);
    socket.reportSendErrors();
    assert.equal(socket.getOption(IPPROTO_IP, IP_RECVERR), 0, 'off until a send');
    const times = new BigInt64Array(3);
    for (let i = 0; i < 3; i++) assert.equal(socket.send(Buffer.from([i]), 1, '127.0.0.1', times), 0);
    assert.equal(socket.getOption(IPPROTO_IP, IP_RECVERR), 1, 'on for the batch');
    socket.endSends();
    assert.equal(socket.getOption(IPPROTO_IP, IP_RECVERR), 0, 'off after it');
    socket.endSends(); // no batch open: nothing to do
    assert.equal(socket.getOption(IPPROTO_IP, IP_RECVERR), 0);
  });

  it('refuses a filter that is not whole 8-byte instructions', () => {
    const socket = open();
    assert.throws(() => socket.attachFilter(Buffer.alloc(0)), RangeError);
    assert.throws(() => socket.attachFilter(Buffer.alloc(12)), RangeError);
  });

  it('a filter returning 0 keeps every packet from user space', () => {
    const socket = open();
    const dropAll = Buffer.alloc(8);
    dropAll.writeUInt16LE(0x06, 0); // BPF_RET | BPF_K, k = 0
    socket.attachFilter(dropAll);
    const times = new BigInt64Array(2);
    assert.equal(socket.send(Buffer.from('dropped'), 7, '127.0.0.1', times), 0);
    assert.equal(receiveAll(socket).count, 0);
  });

  for (const family of [4, 6] as const) {
    it(`stamps a loopback round trip in process.hrtime's clock, send before receive (IPv${family})`, () => {
      const socket = open(family);
      const accepted = socket.enableTimestamps();
      assert.equal(accepted & (TIMESTAMPS_RECEIVE | TIMESTAMPS_SEND), TIMESTAMPS_RECEIVE | TIMESTAMPS_SEND);
      const times = new BigInt64Array(2);
      const payload = Buffer.from(`netdiag native ${family}`);
      const before = process.hrtime.bigint();
      assert.equal(socket.send(payload, payload.length, family === 4 ? '127.0.0.1' : '::1', times), 0);
      const { count, packets } = receiveAll(socket);
      const after = process.hrtime.bigint();
      assert.equal(count, 1);
      const [packet] = packets;
      // IPv4 raw sockets see the IP header, IPv6 ones the payload only.
      assert.deepEqual(packet!.bytes.subarray(family === 4 ? 20 : 0), payload);
      assert.equal(times[1], 1n, 'the transmit stamp is the kernel one');
      assert.ok(packet!.kernelStamp, 'the receive stamp is the kernel one');
      const sentAt = times[0]!;
      assert.ok(
        before <= sentAt && sentAt <= packet!.receivedAt && packet!.receivedAt <= after,
        `${before} ${sentAt} ${packet!.receivedAt} ${after}`,
      );
      if (family === 6) {
        assert.equal(packet!.hopLimit, 64, "IPV6_RECVHOPLIMIT gives the datagram's hop limit");
        assert.equal(packet!.address.toString('hex'), '0'.repeat(31) + '1');
      } else {
        assert.equal(packet!.hopLimit, -1);
        assert.equal(packet!.address.subarray(0, 4).toString('hex'), '7f000001');
      }
    });
  }

  it('reads several queued datagrams in one call, and calls back from the event loop when readable', async () => {
    const socket = open();
    const times = new BigInt64Array(2);
    let ready = 0;
    const readable = new Promise<void>((resolve) =>
      socket.startReading((error, events) => {
        assert.equal(error, null);
        if (events & READY_READABLE) {
          ready++;
          resolve();
        }
      }),
    );
    for (let i = 0; i < 3; i++) assert.equal(socket.send(Buffer.from([i]), 1, '127.0.0.1', times), 0);
    await readable;
    const { count, packets } = receiveAll(socket);
    assert.equal(count, 3);
    assert.deepEqual(
      packets.map((p) => p.bytes[20]),
      [0, 1, 2],
    );
    assert.ok(ready >= 1);
  });
  it('asks for transmit stamps within its budget: a burst of 100, then 1,000 a second; other sends carry the time read before sendmsg', async () => {
    const socket = open();
    socket.enableTimestamps();
    // Nothing queued for reading: a full receive buffer would also refuse the stamps (they share it).
    socket.attachFilter(Buffer.from([0x06, 0, 0, 0, 0, 0, 0, 0])); // ret #0
    const burst = (count: number) => {
      const times = new BigInt64Array(2);
      const start = process.hrtime.bigint();
      let stamped = 0;
      let previous = 0n;
      for (let i = 0; i < count; i++) {
        assert.equal(socket.send(Buffer.from([i & 0xff]), 1, '127.0.0.1', times), 0);
        if (times[1] === 1n) stamped++;
        assert.ok(times[0]! >= previous, 'send times never go back, stamped or not');
        previous = times[0]!;
      }
      return { stamped, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
    };
    const first = burst(2000);
    assert.ok(first.stamped >= 100, `the burst is stamped: ${first.stamped}`);
    assert.ok(
      first.stamped <= 100 + Math.ceil(first.seconds * 1000) + 1,
      `then 1,000/s: ${JSON.stringify(first)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const after = burst(200);
    // 30 ms refill 30 stamps (and no more than the burst, however long the pause).
    assert.ok(
      after.stamped >= 30 && after.stamped <= 100 + Math.ceil(after.seconds * 1000) + 1,
      JSON.stringify(after),
    );
  });

  it('reports error-queue entries as READY_ERRORS and reads on after drainErrors (libuv would stop the poll on a bare EPOLLERR)', async () => {
    // A raw UDP socket with IP_RECVERR for good: the ICMP port unreachable that quotes its datagram to a
    // closed loopback port (loopback is not rate limited) lands on its error queue.
    const socket = new addon.RawSocket(4, IpProtocol.Udp);
    opened.push(socket);
    socket.setOption(IPPROTO_IP, IP_RECVERR, 1);
    const closed = createSocket('udp4');
    await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve));
    const port = closed.address().port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const datagram = Buffer.alloc(12);
    datagram.writeUInt16BE(40000, 0);
    datagram.writeUInt16BE(port, 2);
    datagram.writeUInt16BE(datagram.length, 4); // checksum 0: none, allowed for UDP over IPv4
    const errors: Error[] = [];
    let entries = 0;
    let wake: (() => void) | undefined;
    socket.startReading((error, events) => {
      if (error !== null) errors.push(error);
      else if (events & READY_ERRORS) {
        entries += socket.drainErrors();
        wake?.();
      } else if (events & READY_READABLE) receiveAll(socket);
    });
    const times = new BigInt64Array(2);
    for (let round = 1; round <= 2; round++) {
      const reported = new Promise<void>((resolve) => (wake = resolve));
      // A stale errno left by the first round's ICMP error is consumed by sendmsg's retry (see Send).
      assert.equal(socket.send(datagram, datagram.length, '127.0.0.1', times), 0);
      await reported;
      assert.ok(entries >= round, `round ${round}: ${entries} error-queue entries read`);
    }
    assert.deepEqual(errors, [], 'the poll never failed');
  });
});
