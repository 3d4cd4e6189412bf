// ICMP errors quoting an echo request: every quoted byte that identifies the request is checked
// (checksum always, token and length when quoted), an error quoting the ICMP header only leaves the
// probe pending, and errors quoting nothing pending are dropped in place, before any decoding.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IcmpSocket, type EchoExpectation, type IcmpErrorInfo } from '../../../probes/socket';
import { IpProtocol, onesComplementSum } from '../../../probes/packet';
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
const ROUTER4 = '10.0.0.254';
const LOCAL6 = 'fd00::1';
const TARGET6 = 'fd00::2';
const ROUTER6 = 'fd00::fe';
const ID = 0x1234;
const SEQ = 0xbeef;

function payload(seed: number, size = 56): Buffer {
  const p = Buffer.alloc(size);
  p.writeUInt32BE((seed * 0x9e3779b1) >>> 0, 0);
  p.writeUInt32BE((seed * 0x85ebca6b) >>> 0, 4);
  return p;
}

/** The request as the socket sent it: ICMP message, IPv6 checksum with the pseudo-header. */
function request(family: 4 | 6, p: Buffer): Buffer {
  return family === 4
    ? icmpEcho(IcmpType.EchoRequest, ID, SEQ, p)
    : icmpv6Echo(Icmpv6Type.EchoRequest, ID, SEQ, p, LOCAL6, TARGET6);
}

/** The sum EchoSession gives: the message with its checksum field zeroed, no pseudo-header. */
function messageSum(family: 4 | 6, p: Buffer): number {
  const message = request(family, p);
  message.writeUInt16BE(0, 2);
  return onesComplementSum(message, 0, message.length);
}

function pending(family: 4 | 6, p: Buffer, withSum = true) {
  const errors: IcmpErrorInfo[] = [];
  const replies: number[] = [];
  const e: EchoExpectation = {
    identifier: ID,
    sequence: SEQ,
    destination: family === 4 ? TARGET4 : TARGET6,
    tokenHigh: p.readUInt32BE(0),
    tokenLow: p.readUInt32BE(4),
    payloadLength: p.length,
    messageSum: withSum ? messageSum(family, p) : undefined,
    onReply: (_at, info) => replies.push(info.bytes),
    onError: (_at, info) => errors.push({ ...info }),
  };
  return { e, errors, replies };
}

function open(family: 4 | 6): { socket: IcmpSocket; transport: FakeTransport } {
  const factory = fakeFactory();
  const socket = new IcmpSocket(family, {}, factory);
  return { socket, transport: factory.opened[0]! };
}

/** An error quoting `message` (the request's ICMP bytes) in `quotedBytes` of the original packet. */
function errorQuoting(family: 4 | 6, message: Buffer, quotedBytes: number): Buffer {
  return family === 4
    ? icmpErrorV4(
        ROUTER4,
        LOCAL4,
        IcmpType.DestinationUnreachable,
        1,
        ipv4Packet(LOCAL4, TARGET4, IpProtocol.Icmp, message),
        quotedBytes,
      )
    : icmpErrorV6(
        ROUTER6,
        LOCAL6,
        Icmpv6Type.DestinationUnreachable,
        3,
        ipv6Packet(LOCAL6, TARGET6, IpProtocol.Icmpv6, message),
        quotedBytes,
      );
}

const ipHeader = (family: 4 | 6): number => (family === 4 ? 20 : 40);
const router = (family: 4 | 6): string => (family === 4 ? ROUTER4 : ROUTER6);
const noErrors = { matched: 0, foreign: 0, malformed: 0 };

for (const family of [4, 6] as const) {
  describe(`IcmpSocket: errors quoting an echo request (IPv${family})`, () => {
    const full = 1232;
    const headerOnly = ipHeader(family) + 8;

    it('ends the probe on an error that quotes its token and length', () => {
      const { socket, transport } = open(family);
      const p = payload(1);
      const { e, errors } = pending(family, p);
      socket.expect(e);
      transport.receive(errorQuoting(family, request(family, p), full), router(family));
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.quotesToken, true);
      assert.equal(errors[0]!.from, router(family));
      assert.equal(socket.pendingCount, 0);
      assert.equal(socket.stats.matched, 1);
    });

    it('counts an error quoting a wrong token as mismatched and keeps the probe', () => {
      const { socket, transport } = open(family);
      const p = payload(2);
      const { e, errors } = pending(family, p);
      socket.expect(e);
      // The forger knows destination, identifier and sequence, and guesses the token (zeros).
      transport.receive(errorQuoting(family, request(family, Buffer.alloc(p.length)), full), router(family));
      // Right token, one bit off elsewhere in it.
      const flipped = Buffer.from(p);
      flipped[7]! ^= 1;
      transport.receive(errorQuoting(family, request(family, flipped), full), router(family));
      assert.deepEqual(errors, []);
      assert.equal(socket.pendingCount, 1);
      assert.deepEqual({ ...socket.stats, received: 0 }, { received: 0, mismatched: 2, ...noErrors });
    });

    it('counts an error quoting the right token but another length as mismatched', () => {
      const { socket, transport } = open(family);
      const p = payload(3);
      const { e, errors } = pending(family, p, false);
      socket.expect(e);
      const longer = Buffer.concat([p, Buffer.alloc(8)]);
      transport.receive(errorQuoting(family, request(family, longer), full), router(family));
      assert.deepEqual(errors, []);
      assert.equal(socket.stats.mismatched, 1);
    });

    it('checks the quoted checksum of an error quoting the ICMP header only', () => {
      const { socket, transport } = open(family);
      const p = payload(4);
      const { e, errors } = pending(family, p);
      socket.expect(e);
      // Same identifier and sequence, another token: the quoted checksum differs.
      transport.receive(errorQuoting(family, request(family, payload(5)), headerOnly), router(family));
      assert.deepEqual(errors, []);
      assert.equal(socket.stats.mismatched, 1);
    });

    it('hands on an error quoting the ICMP header only, and keeps the probe pending for its reply', () => {
      const { socket, transport } = open(family);
      const p = payload(6);
      const { e, errors, replies } = pending(family, p);
      socket.expect(e);
      transport.receive(errorQuoting(family, request(family, p), headerOnly), router(family));
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.quotesToken, false);
      assert.equal(socket.pendingCount, 1, 'still pending: a reply may come');
      const reply =
        family === 4
          ? echoReplyV4(TARGET4, LOCAL4, ID, SEQ, p)
          : icmpv6Echo(Icmpv6Type.EchoReply, ID, SEQ, p, TARGET6, LOCAL6);
      transport.receive(reply, family === 4 ? TARGET4 : TARGET6);
      assert.equal(replies.length, 1);
      assert.equal(socket.pendingCount, 0);
    });

    it('drops errors quoting nothing pending in place, as foreign, even when otherwise malformed', () => {
      const { socket, transport } = open(family);
      const p = payload(7);
      const { e } = pending(family, p);
      socket.expect(e);
      const seqs = [SEQ + 1, SEQ - 1, 0];
      for (const sequence of seqs) {
        const other =
          family === 4
            ? icmpEcho(IcmpType.EchoRequest, ID, sequence, p)
            : icmpv6Echo(Icmpv6Type.EchoRequest, ID, sequence, p, LOCAL6, TARGET6);
        for (const quotedBytes of [headerOnly, full]) {
          const packet = errorQuoting(family, other, quotedBytes);
          // A bad ICMPv4 checksum makes the general decoder count the packet malformed: the
          // in-place check decides before it.
          if (family === 4) packet[22]! ^= 0xff;
          transport.receive(packet, router(family));
        }
      }
      const udp =
        family === 4
          ? ipv4Packet(LOCAL4, TARGET4, IpProtocol.Udp, Buffer.alloc(8 + 24))
          : ipv6Packet(LOCAL6, TARGET6, IpProtocol.Udp, Buffer.alloc(8 + 24));
      const udpError =
        family === 4
          ? icmpErrorV4(ROUTER4, LOCAL4, IcmpType.DestinationUnreachable, 3, udp, 576)
          : icmpErrorV6(ROUTER6, LOCAL6, Icmpv6Type.DestinationUnreachable, 4, udp);
      if (family === 4) udpError[22]! ^= 0xff;
      transport.receive(udpError, router(family));
      assert.deepEqual(
        { ...socket.stats, received: 0 },
        { received: 0, foreign: 2 * seqs.length + 1, matched: 0, mismatched: 0, malformed: 0 },
      );
      assert.equal(socket.pendingCount, 1);
    });

    it('still hands errors quoting UDP to a registered handler', () => {
      const { socket, transport } = open(family);
      const seen: number[] = [];
      socket.onQuotedError(IpProtocol.Udp, (error) => {
        seen.push(error.type);
        return 'matched';
      });
      const udp =
        family === 4
          ? ipv4Packet(LOCAL4, TARGET4, IpProtocol.Udp, Buffer.alloc(8 + 24))
          : ipv6Packet(LOCAL6, TARGET6, IpProtocol.Udp, Buffer.alloc(8 + 24));
      transport.receive(
        family === 4
          ? icmpErrorV4(ROUTER4, LOCAL4, IcmpType.TimeExceeded, 0, udp)
          : icmpErrorV6(ROUTER6, LOCAL6, Icmpv6Type.TimeExceeded, 0, udp),
        router(family),
      );
      assert.deepEqual(seen, [family === 4 ? IcmpType.TimeExceeded : Icmpv6Type.TimeExceeded]);
      assert.equal(socket.stats.matched, 1);
    });
  });
}

describe('IcmpSocket: errors quoting a fragmented IPv4 echo request', () => {
  /** The request of a ping of 1400 bytes, as the first fragment (1000 bytes) and the second left the host. */
  function fragments(p: Buffer): { first: Buffer; second: Buffer } {
    const whole = ipv4Packet(LOCAL4, TARGET4, IpProtocol.Icmp, request(4, p));
    const first = Buffer.from(whole.subarray(0, 1000));
    first.writeUInt16BE(1000, 2);
    first.writeUInt16BE(0x2000, 6); // more fragments, offset 0
    const second = Buffer.concat([whole.subarray(0, 20), whole.subarray(1000)]);
    second.writeUInt16BE(second.length, 2);
    second.writeUInt16BE((1000 - 20) / 8, 6); // offset, in 8-byte units
    return { first, second };
  }

  it('takes an error quoting the first fragment by its token (the fragment tells no total length)', () => {
    const { socket, transport } = open(4);
    const p = payload(8, 1400);
    const { e, errors } = pending(4, p);
    socket.expect(e);
    const { first } = fragments(p);
    transport.receive(icmpErrorV4(ROUTER4, LOCAL4, IcmpType.TimeExceeded, 0, first, 576), ROUTER4);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.quotesToken, true);
  });

  it('counts an error quoting a later fragment as foreign: it quotes no ICMP header', () => {
    const { socket, transport } = open(4);
    const p = payload(9, 1400);
    // A payload that reads, at the start of the second fragment, like the request's ICMP header.
    request(4, p).copy(p, 1000 - 20 - 8, 0, 8);
    const { e, errors } = pending(4, p, false);
    socket.expect(e);
    const { second } = fragments(p);
    transport.receive(icmpErrorV4(ROUTER4, LOCAL4, IcmpType.TimeExceeded, 0, second, 576), ROUTER4);
    assert.deepEqual(errors, []);
    assert.equal(socket.stats.foreign, 1);
  });
});
