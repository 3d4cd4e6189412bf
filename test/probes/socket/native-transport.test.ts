// NativeTransport's contract (the one raw-transport.ts has on raw-socket), on a scripted socket: what
// waits while the socket buffer is full and in which order it leaves, what a handler gets, close().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { NativeAddon, NativeRawSocket } from '../../../probes/socket/native-addon';
import {
  READY_ERRORS,
  READY_READABLE,
  READY_WRITABLE,
  SEND_WOULD_BLOCK,
} from '../../../probes/socket/native-addon';
import { NativeTransport } from '../../../probes/socket/native-transport';
import type { RawTransportOptions } from '../../../probes/socket/raw-transport';
import { IpProtocol } from '../../../probes/packet';
import { IP_TTL, IPPROTO_IP } from '../../../probes/socket/socket-options';

/** A datagram the scripted socket hands out: its bytes, source, receive time and hop limit. */
interface Datagram {
  bytes: Buffer;
  source: Buffer;
  at: bigint;
  hopLimit?: number;
}

/** A NativeRawSocket whose kernel is the test: sends succeed unless `full`, receives pop `queued`. */
class ScriptedSocket implements NativeRawSocket {
  full = false;
  clock = 1000n;
  readonly sent: Array<{ bytes: Buffer; to: string; at: bigint }> = [];
  readonly options: Array<[number, number, number | Buffer]> = [];
  readonly queued: Datagram[] = [];
  writableWatched = false;
  onReady: ((error: Error | null, events: number) => void) | undefined;
  receiveCalls = 0;
  closed = 0;
  stamps = 3;
  /** times[1] of the next sends: 1 a kernel stamp, 2 one asked for that did not come, 0 none asked for. */
  sendStamp = 1n;
  /** details[2i + 1] of the next datagrams: 1 kernel-stamped. */
  receiveStamp = 1;

  setOption(level: number, name: number, value: number | Buffer): void {
    this.options.push([level, name, value]);
  }
  getOption(): number {
    return 0;
  }
  attachFilter(): void {}
  enableTimestamps(): number {
    return this.stamps;
  }
  send(packet: Buffer, length: number, address: string, times: BigInt64Array): number | Error {
    if (this.full) return SEND_WOULD_BLOCK;
    times[0] = ++this.clock;
    times[1] = this.sendStamp;
    times[2] = BigInt(this.sent.length);
    this.sent.push({ bytes: Buffer.from(packet.subarray(0, length)), to: address, at: times[0] });
    return 0;
  }
  receive(
    buffer: Buffer,
    slotBytes: number,
    lengths: Int32Array,
    times: BigInt64Array,
    details: Int32Array,
    addresses: Buffer,
  ): number | Error {
    this.receiveCalls++;
    const batch = this.queued.splice(0, lengths.length);
    batch.forEach((d, i) => {
      d.bytes.copy(buffer, i * slotBytes);
      lengths[i] = d.bytes.length;
      times[i] = d.at;
      details[2 * i] = d.hopLimit ?? -1;
      details[2 * i + 1] = this.receiveStamp;
      d.source.copy(addresses, i * 16);
    });
    return batch.length;
  }
  /** (key, time) pairs the kernel stamped after their send returned, for takeLateStamps. */
  readonly late: bigint[] = [];
  takeLateStamps(out: BigInt64Array): number {
    const pairs = Math.min(out.length / 2, this.late.length / 2);
    out.set(this.late.splice(0, 2 * pairs));
    return pairs;
  }
  drainCalls = 0;
  drainErrors(): number {
    this.drainCalls++;
    return 2;
  }
  startReading(onReady: (error: Error | null, events: number) => void): void {
    this.onReady = onReady;
  }
  endSendsCalls = 0;
  endSends(): void {
    this.endSendsCalls++;
  }
  sendErrorsReported = false;
  reportSendErrors(): void {
    this.sendErrorsReported = true;
  }
  watchWritable(on: boolean): void {
    this.writableWatched = on;
  }
  close(): void {
    this.closed++;
  }
}

const neverSent = (): void => assert.fail('onSent called');
const neverFailed = (error: Error): void => assert.fail(`onError called: ${error.message}`);

function open(options: Partial<RawTransportOptions> = {}, stamps = 3, now = () => 0n) {
  const socket = new ScriptedSocket();
  socket.stamps = stamps;
  const addon = { RawSocket: class {} } as unknown as NativeAddon;
  (addon as { RawSocket: unknown }).RawSocket = function () {
    return socket;
  };
  const received: Array<{ bytes: string; source: string; at: bigint; hopLimit: number | undefined }> = [];
  const transport = new NativeTransport(
    addon,
    {
      family: 4,
      protocol: IpProtocol.Icmp,
      onPacket: (packet, source, at, hopLimit) =>
        received.push({ bytes: packet.toString('hex'), source, at, hopLimit }),
      ...options,
    },
    now,
  );
  return { socket, transport, received };
}

describe('NativeTransport', () => {
  it('says kernel only when the kernel stamps both sends and receives', () => {
    assert.equal(open({}, 3).transport.timestampSource, 'kernel');
    assert.equal(open({}, 1).transport.timestampSource, 'user');
    assert.equal(open({}, 2).transport.timestampSource, 'user');
  });

  it('reports send errors (IP_RECVERR) on IPv4 sockets only (IPv6 reports ENOBUFS without it)', () => {
    const v4 = open({ family: 4 }).socket;
    const v6 = open({ family: 6 }).socket;
    assert.deepEqual(
      v4.options.filter(([level, name]) => level === 0 && name === 11),
      [[0, 11, 1]],
    );
    assert.equal(v4.sendErrorsReported, true);
    assert.deepEqual(
      v6.options.filter(([, name]) => name === 25),
      [],
    );
    assert.equal(v6.sendErrorsReported, false);
  });

  it('IPv4: ends each turn of sends once, after them (IP_RECVERR off again); IPv6 sockets have none to end', async () => {
    const { socket, transport } = open();
    for (let i = 0; i < 3; i++) transport.send(Buffer.from([i]), '192.0.2.1', () => {}, neverFailed);
    assert.equal(socket.endSendsCalls, 0, 'not while the turn sends');
    await Promise.resolve();
    assert.equal(socket.endSendsCalls, 1, 'one batch');
    transport.send(Buffer.from([4]), '192.0.2.1', () => {}, neverFailed);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(socket.endSendsCalls, 2, 'the next turn is a batch of its own');

    const v6 = open({ family: 6 });
    v6.transport.send(Buffer.from([1]), '2001:db8::1', () => {}, neverFailed);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(v6.socket.endSendsCalls, 0);
  });

  it("hands onSent the socket's send time, and sets the hop limit only when it changes", () => {
    const { socket, transport } = open();
    const times: bigint[] = [];
    for (const hop of [5, 5, 9])
      transport.send(Buffer.from([hop]), '192.0.2.1', (at) => times.push(at), neverFailed, hop);
    assert.deepEqual(
      times,
      socket.sent.map((s) => s.at),
    );
    assert.deepEqual(
      socket.options.filter(([level, name]) => level === IPPROTO_IP && name === IP_TTL).map(([, , v]) => v),
      [5, 9],
    );
  });

  it('hands a stamp that came after the send returned to onSent a second time, before the answers are read', () => {
    const calls: Array<[number, bigint]> = [];
    const callsWhenAnswered: number[] = [];
    const { socket, transport } = open({ onPacket: () => callsWhenAnswered.push(calls.length) });
    const send = (probe: number) =>
      transport.send(Buffer.from([probe]), '192.0.2.1', (at) => calls.push([probe, at]), neverFailed);
    send(0); // stamped at once
    socket.sendStamp = 2n; // the next two wait in the kernel (address resolution): keys 1 and 2
    send(1);
    send(2);
    socket.sendStamp = 1n;
    assert.deepEqual(calls, [
      [0, 1001n],
      [1, 1002n],
      [2, 1003n],
    ]);
    // The packets leave; their stamps sit on the error queue next to the answers.
    socket.late.push(2n, 1500n, 1n, 1400n, 99n, 1600n); // key 99: nobody waits for it
    socket.queued.push({ bytes: Buffer.from([7]), source: Buffer.from([192, 0, 2, 1]), at: 2000n });
    socket.onReady!(null, READY_ERRORS | READY_READABLE);
    assert.deepEqual(calls.slice(3), [
      [2, 1500n],
      [1, 1400n],
    ]);
    assert.deepEqual(callsWhenAnswered, [5], 'the answer is handled once both send times are final');
    assert.equal(transport.lateStamps, 2);
    assert.deepEqual(transport.stampsMissed, { transmit: 0, receive: 0 });
  });

  it('gives up on a late stamp after 5 s and counts it missed, and counts datagrams read without a stamp', () => {
    let now = 0n;
    const { socket, transport } = open({}, 3, () => now);
    socket.clock = 0n;
    const calls: bigint[] = [];
    socket.sendStamp = 2n;
    transport.send(Buffer.from([1]), '192.0.2.1', (at) => calls.push(at), neverFailed); // sent at 1
    socket.sendStamp = 1n;
    now = 4_999_999_999n;
    socket.onReady!(null, READY_ERRORS);
    assert.deepEqual(transport.stampsMissed, { transmit: 0, receive: 0 }, 'still within its wait');
    now = 5_000_000_001n;
    socket.onReady!(null, READY_ERRORS);
    assert.deepEqual(transport.stampsMissed, { transmit: 1, receive: 0 });
    socket.late.push(0n, 7n); // its stamp, too late: not handed on
    socket.onReady!(null, READY_ERRORS);
    assert.deepEqual(calls, [1n]);

    socket.sendStamp = 0n; // beyond the budget, none asked for: not a miss
    transport.send(Buffer.from([1]), '192.0.2.1', () => {}, neverFailed);
    const receive = (stamped: number) => {
      socket.receiveStamp = stamped;
      socket.queued.push({ bytes: Buffer.from([1]), source: Buffer.from([192, 0, 2, 1]), at: 5n });
      socket.onReady!(null, READY_READABLE);
    };
    receive(1);
    receive(0);
    assert.deepEqual(transport.stampsMissed, { transmit: 1, receive: 1 });

    // A socket the kernel does not stamp for receives times every datagram by the clock: nothing missed.
    const unstamped = open({}, 2);
    unstamped.socket.receiveStamp = 0;
    unstamped.socket.queued.push({ bytes: Buffer.from([1]), source: Buffer.from([192, 0, 2, 1]), at: 5n });
    unstamped.socket.onReady!(null, READY_READABLE);
    assert.deepEqual(unstamped.transport.stampsMissed, { transmit: 0, receive: 0 });
  });

  it('while the buffer is full, packets wait (copied) and leave in order once it is writable', () => {
    const { socket, transport } = open();
    const order: string[] = [];
    const onSent = (name: string) => () => order.push(name);
    socket.full = true;
    const packet = Buffer.from('a');
    transport.send(packet, '192.0.2.1', onSent('a'), neverFailed);
    packet.write('x'); // the caller reuses its buffer once send() returns
    socket.full = false;
    // One packet waits: the next one queues behind it even though the socket has room now.
    transport.send(Buffer.from('b'), '192.0.2.2', onSent('b'), neverFailed);
    assert.deepEqual(order, []);
    assert.equal(socket.writableWatched, true);
    socket.onReady!(null, READY_WRITABLE);
    assert.deepEqual(order, ['a', 'b']);
    assert.deepEqual(
      socket.sent.map((s) => [s.bytes.toString(), s.to]),
      [
        ['a', '192.0.2.1'],
        ['b', '192.0.2.2'],
      ],
    );
    assert.equal(socket.writableWatched, false);
  });

  it("a send error goes to that packet's onError, with the socket's Error", () => {
    const { socket, transport } = open();
    const refused = Object.assign(new Error('No buffer space available'), { code: 'ENOBUFS' });
    socket.send = () => refused;
    let got: Error | undefined;
    transport.send(Buffer.from('a'), '192.0.2.1', neverSent, (error) => (got = error));
    assert.equal(got, refused);
  });

  it('a readable event reads batch after batch until the socket is empty, with kernel times and sources', () => {
    const { socket, received } = open({ family: 6, protocol: IpProtocol.Icmpv6 });
    const source = Buffer.alloc(16);
    source[15] = 1;
    for (let i = 0; i < 40; i++)
      socket.queued.push({ bytes: Buffer.from([i]), source, at: BigInt(i), hopLimit: 64 });
    socket.onReady!(null, READY_READABLE);
    assert.equal(received.length, 40);
    assert.equal(socket.receiveCalls, 3, '16 + 16 + 8: the short batch says the socket is empty');
    assert.deepEqual(received[39], { bytes: '27', source: '::1', at: 39n, hopLimit: 64 });
  });

  it('empties the error queue when the poll says it holds entries, and only then (no system call per read)', () => {
    const { socket, transport } = open();
    socket.onReady!(null, READY_READABLE);
    assert.equal(socket.drainCalls, 0);
    socket.onReady!(null, READY_ERRORS);
    socket.onReady!(null, READY_ERRORS | READY_READABLE);
    assert.equal(socket.drainCalls, 2);
    assert.equal(transport.errorQueueEntries, 4);
  });

  it('close() is idempotent, drops what waits without calling back, and refuses later sends', () => {
    const { socket, transport } = open();
    socket.full = true;
    transport.send(Buffer.from('a'), '192.0.2.1', neverSent, neverFailed);
    transport.close();
    transport.close();
    assert.equal(socket.closed, 1);
    let code: string | undefined;
    transport.send(
      Buffer.from('b'),
      '192.0.2.1',
      neverSent,
      (error) => (code = (error as { code?: string }).code),
    );
    assert.equal(code, 'ERR_CLOSED');
    socket.onReady!(null, READY_WRITABLE | READY_READABLE);
    assert.equal(socket.sent.length, 0);
  });
});
