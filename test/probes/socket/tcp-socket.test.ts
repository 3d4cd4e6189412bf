import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { IpProtocol, tcpSegment, TcpFlag } from '../../../probes/packet';
import {
  SocketRegistry,
  acquireTcpSocket,
  type TcpAnswer,
  type TcpExpectation,
} from '../../../probes/socket';
import type { QuotedError } from '../../../probes/socket';
import { fakeFactory } from '../../support/fake-transport';
import { icmpErrorV4, ipv4Packet, IcmpType } from '../../support/packets';

const LOCAL = '10.0.0.1';
const REMOTE = '10.0.0.2';

function segment(
  flags: number,
  ack: number,
  from = REMOTE,
  sourcePort = 443,
  destinationPort = 40000,
): Buffer {
  const tcp = tcpSegment.encode({
    pseudo: { source: from, destination: LOCAL },
    sourcePort,
    destinationPort,
    sequence: 7,
    acknowledgment: ack,
    flags,
    window: 100,
  });
  return ipv4Packet(from, LOCAL, IpProtocol.Tcp, tcp, 57);
}

function setup(): {
  registry: SocketRegistry;
  factory: ReturnType<typeof fakeFactory>;
  answers: TcpAnswer[];
  errors: QuotedError[];
  expectation: TcpExpectation;
} {
  const factory = fakeFactory();
  const registry = new SocketRegistry(factory);
  const answers: TcpAnswer[] = [];
  const errors: QuotedError[] = [];
  const expectation: TcpExpectation = {
    remoteAddress: REMOTE,
    remotePort: 443,
    localPort: 40000,
    sequence: 0xffffffff,
    onAnswer: (_at, answer) => answers.push(answer),
    onIcmpError: (_at, error) => errors.push(error),
  };
  return { registry, factory, answers, errors, expectation };
}

describe('TcpSocket', () => {
  it('delivers the SYN-ACK acknowledging sequence + 1 (mod 2^32) and counts the rest', () => {
    const { registry, factory, answers, expectation } = setup();
    const socket = acquireTcpSocket(registry, 4, {});
    const transport = factory.opened.find((t) => t.protocol === IpProtocol.Tcp)!;
    assert.equal(socket.expect(expectation), true);
    assert.equal(socket.expect({ ...expectation }), false, 'same key pending');
    transport.receive(segment(TcpFlag.ACK, 0), REMOTE); // a plain ACK: foreign
    transport.receive(segment(TcpFlag.SYN | TcpFlag.ACK, 0, REMOTE, 443, 40001), REMOTE); // other port: foreign
    transport.receive(segment(TcpFlag.SYN | TcpFlag.ACK, 5), REMOTE); // wrong ack: mismatched
    transport.receive(segment(TcpFlag.SYN | TcpFlag.ACK, 0, '10.0.0.3'), REMOTE); // wrong source: mismatched
    transport.receive(segment(TcpFlag.RST, 0), REMOTE); // RST without ACK: mismatched
    transport.receive(Buffer.from('4500', 'hex'), REMOTE); // malformed
    transport.receive(segment(TcpFlag.SYN | TcpFlag.ACK, 0).subarray(0, 30), REMOTE); // truncated: malformed
    transport.receive(segment(TcpFlag.SYN | TcpFlag.ACK, 0), REMOTE);
    transport.receive(segment(TcpFlag.SYN | TcpFlag.ACK, 0), REMOTE); // duplicate, no longer pending
    assert.deepEqual(answers, [{ kind: 'syn-ack', flags: 0x12, window: 100, bytes: 20, ttl: 57 }]);
    assert.deepEqual(socket.stats, { received: 9, malformed: 2, foreign: 3, mismatched: 3, matched: 1 });
    assert.equal(socket.pendingCount, 0);
  });

  it('an RST+ACK means closed; IPv6 segments come without an IP header', () => {
    const { registry, factory, answers } = setup();
    const socket = acquireTcpSocket(registry, 6, {});
    const transport = factory.opened.find((t) => t.protocol === IpProtocol.Tcp)!;
    socket.expect({
      remoteAddress: 'fd00::2',
      remotePort: 22,
      localPort: 50000,
      sequence: 41,
      onAnswer: (_at, a) => answers.push(a),
    });
    const rst = tcpSegment.encode({
      pseudo: { source: 'fd00::2', destination: 'fd00::1' },
      sourcePort: 22,
      destinationPort: 50000,
      sequence: 0,
      acknowledgment: 42,
      flags: TcpFlag.RST | TcpFlag.ACK,
      window: 0,
    });
    transport.receive(rst, 'fd00:0::2');
    assert.deepEqual(answers, [{ kind: 'rst', flags: 0x14, window: 0, bytes: 20 }]);
  });

  it('matches ICMP errors quoting our SYN through the shared ICMP socket, and releases it on close', () => {
    const { registry, factory, errors, expectation } = setup();
    const socket = acquireTcpSocket(registry, 4, {});
    socket.expect(expectation);
    const syn = ipv4Packet(
      LOCAL,
      REMOTE,
      IpProtocol.Tcp,
      tcpSegment.encode({
        pseudo: { source: LOCAL, destination: REMOTE },
        sourcePort: 40000,
        destinationPort: 443,
        sequence: 0xffffffff,
        flags: TcpFlag.SYN,
        window: 1,
      }),
    );
    const icmp = factory.opened.find((t) => t.protocol === IpProtocol.Icmp)!;
    icmp.receive(icmpErrorV4('10.0.0.254', LOCAL, IcmpType.DestinationUnreachable, 13, syn), '10.0.0.254');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.from, '10.0.0.254');
    assert.equal(errors[0]!.code, 13);
    assert.equal(registry.icmpSockets()[0]!.stats.matched, 1);
    registry.release(socket);
    assert.ok(
      factory.opened.every((t) => t.closed),
      'TCP and ICMP transports closed',
    );
    socket.close(); // idempotent
  });

  it('wraps segments in an IP header carrying the bound source', () => {
    const { registry, factory } = setup();
    const socket = acquireTcpSocket(registry, 4, { source: '192.0.2.9' });
    socket.send(Buffer.alloc(20), REMOTE, () => {}, assert.fail, 3);
    const sent = factory.opened.find((t) => t.protocol === IpProtocol.Tcp)!.sent[0]!;
    assert.equal(sent.packet.length, 40);
    assert.equal(sent.packet.subarray(12, 16).join('.'), '192.0.2.9');
    assert.equal(sent.packet[8], 3, 'TTL in the header');
  });
});
