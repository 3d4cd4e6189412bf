// Matching of real answers (captured in the trace lab, see captured.ts) to the exact probe they quote.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { internetChecksum, ipv4FromBytes, ipv6FromBytes } from '../../../probes/packet';
import {
  SocketRegistry,
  acquireTcpSocket,
  acquireUdpSocket,
  type EchoExpectation,
  type IcmpSocket,
  type TcpExpectation,
  type UdpExpectation,
} from '../../../probes/socket';
import { fakeFactory, type FakeTransport } from '../../support/fake-transport';
import { icmpErrorV4, icmpErrorV6 } from '../../support/packets';
import * as captured from './captured';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const TARGET = { 4: '10.0.7.2', 6: 'fd00:0:0:7::2' } as const;
const CLIENT = { 4: '10.0.1.1', 6: 'fd00:0:0:1::1' } as const;
/** Who answers at TTL 1..4 of the lab (a flow takes one of the two branches at TTL 2 and 3). */
const HOPS = {
  4: [['10.0.1.2'], ['10.0.2.2', '10.0.3.2'], ['10.0.4.2', '10.0.5.2'], ['10.0.6.2']],
  6: [
    ['fd00:0:0:1::2'],
    ['fd00:0:0:2::2', 'fd00:0:0:3::2'],
    ['fd00:0:0:4::2', 'fd00:0:0:5::2'],
    ['fd00:0:0:6::2'],
  ],
} as const;

/** Asserts that the n-th answer names probe `ids[n]` and comes from a router of hop n + 1. */
function assertHops(seen: Array<[number, string]>, family: 4 | 6, ids: number[]): void {
  for (const [i, candidates] of HOPS[family].entries()) {
    const [id, from] = seen[i]!;
    assert.equal(id, ids[i], `answer ${i} names the probe of TTL ${i + 1}`);
    assert.ok((candidates as readonly string[]).includes(from), `TTL ${i + 1}: ${from}`);
  }
}

/** Offset of the transport header in a captured packet (no IPv4 options in the lab). */
const transportAt = (family: 4 | 6): number => (family === 4 ? 20 : 40);

/** Source address of a captured IP packet. */
function sourceOf(packet: Buffer, family: 4 | 6): string {
  return family === 4 ? ipv4FromBytes(packet, 12) : ipv6FromBytes(packet, 8);
}

function fakeRegistry(): { registry: SocketRegistry; opened: FakeTransport[] } {
  const factory = fakeFactory();
  return { registry: new SocketRegistry(factory), opened: factory.opened };
}

function transportFor(opened: FakeTransport[], protocol: number): FakeTransport {
  const transport = opened.find((t) => t.protocol === protocol);
  assert.ok(transport, `a transport of protocol ${protocol}`);
  return transport;
}

/** Delivers a captured packet as a raw socket of its family reads it. */
function deliver(transport: FakeTransport, packet: Buffer, family: 4 | 6): void {
  if (family === 4) transport.receive(packet, sourceOf(packet, 4));
  else transport.receive(packet.subarray(40), sourceOf(packet, 6));
}

const icmpProtocol = (family: 4 | 6): number => (family === 4 ? 1 : 58);

describe('matching answers to the probe they quote (captured packets)', () => {
  for (const family of [4, 6] as const) {
    const run = family === 4 ? captured.udp4 : captured.udp6;
    const system = family === 4 ? captured.systemTraceroute4 : captured.systemTraceroute6;

    function udpSetup(): {
      icmp: FakeTransport;
      udp: FakeTransport;
      socket: ReturnType<typeof acquireUdpSocket>;
      icmpSocket: IcmpSocket;
      answers: Array<{ checksum: number; from: string; type: number; code: number }>;
      expectations: UdpExpectation[];
    } {
      const { registry, opened } = fakeRegistry();
      const socket = acquireUdpSocket(registry, family, {});
      const icmpSocket = registry.acquireIcmp(family, {});
      const answers: Array<{ checksum: number; from: string; type: number; code: number }> = [];
      const expectations = run.probes.map((text) => {
        const probe = hex(text);
        const at = transportAt(family);
        const checksum = probe.readUInt16BE(at + 6);
        const expectation: UdpExpectation = {
          destination: TARGET[family],
          sourcePort: probe.readUInt16BE(at),
          destinationPort: probe.readUInt16BE(at + 2),
          checksum,
          onIcmpError: (_at, error) =>
            answers.push({ checksum, from: error.from, type: error.type, code: error.code }),
        };
        assert.equal(socket.expect(expectation), true);
        return expectation;
      });
      return {
        icmp: transportFor(opened, icmpProtocol(family)),
        udp: transportFor(opened, 17),
        socket,
        icmpSocket,
        answers,
        expectations,
      };
    }

    it(`UDP IPv${family}: every time exceeded and port unreachable goes to the probe whose checksum it quotes`, () => {
      const { icmp, answers, icmpSocket, socket } = udpSetup();
      for (const text of run.answers) deliver(icmp, hex(text), family);
      assert.equal(answers.length, run.answers.length);
      assertHops(
        answers.map((a) => [a.checksum, a.from]),
        family,
        [1, 2, 3, 4],
      );
      const unreachable = answers.slice(4);
      const portUnreachable = family === 4 ? [3, 3] : [1, 4];
      assert.ok(
        unreachable.every(
          (a) => a.from === TARGET[family] && [a.type, a.code].join() === portUnreachable.join(),
        ),
      );
      assert.deepEqual([icmpSocket.stats.matched, icmpSocket.stats.foreign], [run.answers.length, 0]);
      assert.equal(socket.stats.matched, run.answers.length);
      assert.equal(
        socket.pendingCount,
        run.probes.length - run.answers.length,
        'answered probes are forgotten',
      );
    });

    it(`UDP IPv${family}: answers to the system traceroute's probes are foreign`, () => {
      const { icmp, answers, icmpSocket } = udpSetup();
      for (const text of system.answers) deliver(icmp, hex(text), family);
      assert.equal(answers.length, 0);
      assert.equal(icmpSocket.stats.foreign, system.answers.length);
    });

    it(`UDP IPv${family}: a quote cut inside the UDP header is foreign, one cut inside the IP header malformed`, () => {
      const { icmp, answers, icmpSocket } = udpSetup();
      const probe = hex(run.probes[0]!);
      const router = HOPS[family][0][0];
      const error = (quoted: Buffer): Buffer =>
        family === 4
          ? icmpErrorV4(router, CLIENT[4], 11, 0, quoted)
          : icmpErrorV6(router, CLIENT[6], 3, 0, quoted);
      icmp.receive(error(probe.subarray(0, transportAt(family) + 6)), router);
      assert.deepEqual([answers.length, icmpSocket.stats.foreign, icmpSocket.stats.malformed], [0, 1, 0]);
      icmp.receive(error(probe.subarray(0, 12)), router);
      assert.deepEqual([answers.length, icmpSocket.stats.foreign, icmpSocket.stats.malformed], [0, 1, 1]);
      icmp.receive(error(probe), router);
      assert.equal(answers.length, 1, 'the whole quote still matches');
    });

    it(`UDP IPv${family}: right ports and checksum but another destination is mismatched`, () => {
      const { icmp, answers, icmpSocket } = udpSetup();
      const probe = Buffer.from(hex(run.probes[0]!));
      if (family === 4) {
        probe[19] = 9; // 10.0.7.9
        probe.writeUInt16BE(0, 10);
        probe.writeUInt16BE(internetChecksum(probe, 0, 20), 10);
      } else probe[39] = 9;
      const router = HOPS[family][0][0];
      const error =
        family === 4
          ? icmpErrorV4(router, CLIENT[4], 11, 0, probe)
          : icmpErrorV6(router, CLIENT[6], 3, 0, probe);
      icmp.receive(error, router);
      assert.deepEqual([answers.length, icmpSocket.stats.mismatched], [0, 1]);
    });

    it(`UDP IPv${family}: copies of other UDP traffic are counted and dropped; close releases the ICMP socket`, () => {
      const { registry, opened } = fakeRegistry();
      const socket = acquireUdpSocket(registry, family, {});
      const udp = transportFor(opened, 17);
      udp.receive(hex(run.probes[0]!), CLIENT[family]);
      assert.equal(socket.stats.received, 1);
      registry.release(socket);
      assert.equal(udp.closed, true);
      assert.equal(transportFor(opened, icmpProtocol(family)).closed, true);
      assert.equal(registry.icmpSockets().length, 0);
    });

    it(`TCP IPv${family}: time exceeded matched by quoted sequence, the target's RST by acknowledgment`, () => {
      const tcpRun = family === 4 ? captured.tcp4 : captured.tcp6;
      const { registry, opened } = fakeRegistry();
      const socket = acquireTcpSocket(registry, family, {});
      const seen: Array<[number, string]> = [];
      const at = transportAt(family);
      for (const text of tcpRun.probes) {
        const probe = hex(text);
        const sequence = probe.readUInt32BE(at + 4);
        const expectation: TcpExpectation = {
          remoteAddress: TARGET[family],
          remotePort: probe.readUInt16BE(at + 2),
          localPort: probe.readUInt16BE(at),
          sequence,
          onAnswer: (_at, answer) => seen.push([sequence, answer.kind]),
          onIcmpError: (_at, error) => seen.push([sequence, error.from]),
        };
        assert.equal(socket.expect(expectation), true);
      }
      const first = hex(tcpRun.probes[0]!).readUInt32BE(at + 4);
      for (const text of tcpRun.answers) {
        const packet = hex(text);
        const isTcp = family === 4 ? packet[9] === 6 : packet[6] === 6;
        deliver(transportFor(opened, isTcp ? 6 : icmpProtocol(family)), packet, family);
      }
      assert.equal(seen.length, tcpRun.answers.length);
      assertHops(
        seen,
        family,
        [0, 1, 2, 3].map((i) => (first + i) >>> 0),
      );
      assert.ok(seen.slice(4).every(([, what]) => what === 'rst'));
    });

    it(`ICMP IPv${family}: the flow's checksum stays constant; errors and echo replies match by sequence`, () => {
      const icmpRun = family === 4 ? captured.icmp4 : captured.icmp6;
      const at = transportAt(family);
      const checksums = new Set(icmpRun.probes.map((text) => hex(text).readUInt16BE(at + 2)));
      const identifiers = new Set(icmpRun.probes.map((text) => hex(text).readUInt16BE(at + 4)));
      assert.deepEqual(
        [checksums.size, identifiers.size],
        [1, 1],
        'Paris: what a load balancer hashes never changes',
      );
      const { registry, opened } = fakeRegistry();
      const socket = registry.acquireIcmp(family, {});
      const seen: Array<[number, string]> = [];
      for (const text of icmpRun.probes) {
        const probe = hex(text);
        const sequence = probe.readUInt16BE(at + 6);
        const expectation: EchoExpectation = {
          identifier: probe.readUInt16BE(at + 4),
          sequence,
          destination: TARGET[family],
          tokenHigh: probe.readUInt32BE(at + 8),
          tokenLow: probe.readUInt32BE(at + 12),
          payloadLength: probe.length - at - 8,
          onReply: () => seen.push([sequence, 'reply']),
          onError: (_at, error) => seen.push([sequence, error.from]),
        };
        assert.equal(socket.expect(expectation), true);
      }
      const transport = transportFor(opened, icmpProtocol(family));
      for (const text of icmpRun.answers) deliver(transport, hex(text), family);
      assert.equal(seen.length, icmpRun.answers.length);
      assertHops(seen, family, [0, 1, 2, 3]);
      assert.ok(seen.slice(4).every(([, what]) => what === 'reply'));
      assert.equal(socket.stats.foreign, 0);
    });
  }
});
