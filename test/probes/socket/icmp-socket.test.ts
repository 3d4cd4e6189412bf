import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  IcmpSocket,
  type EchoExpectation,
  type EchoReplyInfo,
  type IcmpErrorInfo,
} from '../../../probes/socket';
import { IpProtocol } from '../../../probes/packet';
import { fakeFactory, type FakeTransport } from '../../support/fake-transport';
import {
  echoReplyV4,
  icmpEcho,
  icmpErrorV4,
  icmpErrorV6,
  icmpv6Echo,
  IcmpType,
  Icmpv6Type,
  ipv4Packet,
  ipv6Packet,
} from '../../support/packets';

const LOCAL4 = '10.0.0.1';
const TARGET4 = '10.0.0.2';
const LOCAL6 = 'fd00::1';
const TARGET6 = 'fd00::2';

interface Recorded {
  replies: EchoReplyInfo[];
  errors: IcmpErrorInfo[];
}

function expectation(destination: string, identifier: number, sequence: number, payload: Buffer) {
  const seen: Recorded = { replies: [], errors: [] };
  const e: EchoExpectation = {
    identifier,
    sequence,
    destination,
    tokenHigh: payload.readUInt32BE(0),
    tokenLow: payload.readUInt32BE(4),
    payloadLength: payload.length,
    onReply: (_at, info) => seen.replies.push(info),
    onError: (_at, info) => seen.errors.push(info),
  };
  return { e, seen };
}

function open(family: 4 | 6): { socket: IcmpSocket; transport: FakeTransport } {
  const factory = fakeFactory();
  const socket = new IcmpSocket(family, {}, factory);
  const transport = factory.opened[0];
  assert.ok(transport);
  return { socket, transport };
}

const payload = (token: number, size = 56): Buffer => {
  const p = Buffer.alloc(size);
  p.writeUInt32BE(token, 0);
  p.writeUInt32BE(token ^ 0x5a5a5a5a, 4);
  return p;
};

describe('IcmpSocket over IPv4', () => {
  it('delivers a reply that matches source, identifier, sequence and token', () => {
    const { socket, transport } = open(4);
    const p = payload(1);
    const { e, seen } = expectation(TARGET4, 7, 3, p);
    assert.equal(socket.expect(e), true);
    transport.receive(echoReplyV4(TARGET4, LOCAL4, 7, 3, p), TARGET4);
    assert.deepEqual(seen.replies, [{ bytes: 64, ttl: 64 }]);
    assert.equal(socket.pendingCount, 0);
    assert.deepEqual(socket.stats, { received: 1, malformed: 0, foreign: 0, mismatched: 0, matched: 1 });
  });

  it('rejects a forged reply with the right identifier and sequence but a wrong token, and keeps waiting', () => {
    const { socket, transport } = open(4);
    const p = payload(2);
    const { e, seen } = expectation(TARGET4, 7, 3, p);
    socket.expect(e);
    transport.receive(echoReplyV4(TARGET4, LOCAL4, 7, 3, payload(99)), TARGET4);
    assert.equal(seen.replies.length, 0);
    assert.equal(socket.stats.mismatched, 1);
    assert.equal(socket.pendingCount, 1);
    transport.receive(echoReplyV4(TARGET4, LOCAL4, 7, 3, p), TARGET4);
    assert.equal(seen.replies.length, 1);
  });

  it('rejects a reply from another address or of another length', () => {
    const { socket, transport } = open(4);
    const p = payload(3);
    const { e, seen } = expectation(TARGET4, 1, 1, p);
    socket.expect(e);
    transport.receive(echoReplyV4('10.0.0.3', LOCAL4, 1, 1, p), '10.0.0.3');
    transport.receive(echoReplyV4(TARGET4, LOCAL4, 1, 1, Buffer.concat([p, Buffer.alloc(1)])), TARGET4);
    assert.equal(seen.replies.length, 0);
    assert.equal(socket.stats.mismatched, 2);
  });

  it('counts replies for no pending probe as foreign, and echo requests too', () => {
    const { socket, transport } = open(4);
    transport.receive(echoReplyV4(TARGET4, LOCAL4, 9, 9, payload(4)), TARGET4);
    transport.receive(
      ipv4Packet(LOCAL4, TARGET4, IpProtocol.Icmp, icmpEcho(IcmpType.EchoRequest, 9, 9, payload(4))),
      LOCAL4,
    );
    transport.receive(ipv4Packet(TARGET4, LOCAL4, IpProtocol.Udp, Buffer.alloc(8)), TARGET4);
    assert.equal(socket.stats.foreign, 3);
  });

  it('matches an ICMP error to the echo request it quotes', () => {
    const { socket, transport } = open(4);
    const p = payload(5);
    const { e, seen } = expectation(TARGET4, 11, 12, p);
    socket.expect(e);
    const request = ipv4Packet(LOCAL4, TARGET4, IpProtocol.Icmp, icmpEcho(IcmpType.EchoRequest, 11, 12, p));
    const otherRequest = ipv4Packet(
      LOCAL4,
      '10.9.9.9',
      IpProtocol.Icmp,
      icmpEcho(IcmpType.EchoRequest, 11, 12, p),
    );
    transport.receive(
      icmpErrorV4('10.0.0.254', LOCAL4, IcmpType.TimeExceeded, 0, otherRequest),
      '10.0.0.254',
    );
    assert.equal(socket.stats.mismatched, 1);
    transport.receive(
      icmpErrorV4('10.0.0.254', LOCAL4, IcmpType.DestinationUnreachable, 1, request),
      '10.0.0.254',
    );
    assert.deepEqual(seen.errors, [{ type: 3, code: 1, from: '10.0.0.254', quotesToken: false }]);
    assert.equal(socket.pendingCount, 1, 'an error quoting the ICMP header only leaves the probe pending');
  });

  it('counts malformed packets and never throws', () => {
    const { socket, transport } = open(4);
    const good = echoReplyV4(TARGET4, LOCAL4, 1, 1, payload(6));
    const cases = [
      Buffer.alloc(0),
      good.subarray(0, 10),
      good.subarray(0, 24),
      Buffer.from('45000010', 'hex'),
    ];
    const badChecksum = Buffer.from(good);
    badChecksum[30] = (badChecksum[30] ?? 0) ^ 0xff;
    cases.push(badChecksum);
    for (const bytes of cases) transport.receive(bytes, TARGET4);
    assert.equal(socket.stats.malformed, cases.length);
  });
});

describe('IcmpSocket over IPv6', () => {
  it('delivers a matching reply and matches errors by the quoted request', () => {
    const { socket, transport } = open(6);
    const p = payload(7);
    const { e, seen } = expectation(TARGET6, 5, 6, p);
    socket.expect(e);
    transport.receive(icmpv6Echo(Icmpv6Type.EchoReply, 5, 6, payload(8), TARGET6, LOCAL6), TARGET6);
    assert.equal(socket.stats.mismatched, 1);
    transport.receive(icmpv6Echo(Icmpv6Type.EchoReply, 5, 6, p, TARGET6, LOCAL6), 'FD00:0::2');
    assert.deepEqual(seen.replies, [{ bytes: 64 }]);

    const second = expectation(TARGET6, 5, 7, p);
    socket.expect(second.e);
    const request = ipv6Packet(
      LOCAL6,
      TARGET6,
      IpProtocol.Icmpv6,
      icmpv6Echo(Icmpv6Type.EchoRequest, 5, 7, p, LOCAL6, TARGET6),
    );
    transport.receive(icmpErrorV6('fd00::fe', LOCAL6, Icmpv6Type.TimeExceeded, 0, request), 'fd00::fe');
    assert.deepEqual(second.seen.errors, [{ type: 3, code: 0, from: 'fd00::fe', quotesToken: true }]);
  });

  it('survives 20,000 random and mutated packets', () => {
    const { socket, transport } = open(6);
    const v4 = open(4);
    let seed = 0x12345678;
    const rand = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x100000000;
    };
    const base4 = echoReplyV4(TARGET4, LOCAL4, 1, 1, payload(9));
    const base6 = icmpv6Echo(Icmpv6Type.EchoReply, 1, 1, payload(9), TARGET6, LOCAL6);
    for (let i = 0; i < 10_000; i++) {
      for (const [base, t] of [
        [base4, v4.transport],
        [base6, transport],
      ] as const) {
        const bytes = rand() < 0.5 ? Buffer.from(base) : Buffer.alloc(Math.floor(rand() * 80));
        for (let m = Math.floor(rand() * 4); m > 0; m--)
          bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
        t.receive(bytes.subarray(0, Math.floor(rand() * (bytes.length + 1))), TARGET6);
      }
    }
    assert.equal(socket.stats.received + v4.socket.stats.received, 20_000);
    assert.equal(socket.stats.matched + v4.socket.stats.matched, 0);
  });
});
