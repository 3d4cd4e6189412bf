// Fuzz of the receive paths that turn packets into RTTs: ICMP errors quoting UDP, TCP and echo
// probes, TCP SYN-ACK / RST answers, echo replies. Starting from real captures (test/probes/trace/
// captured.ts), every input is mutated (bit flips, byte writes, truncation, extension, splices) and
// delivered to sockets holding a pending expectation for every captured probe. Properties:
//   1. the receive path never throws;
//   2. every packet read is counted exactly once (matched + foreign + mismatched + malformed);
//   3. no false RTT: whenever an expectation fires, the packet carries exactly the fields that
//      identify it (addresses, ports, checksum / sequence / acknowledgment, identifier, token);
//   4. an expectation fires at most once, and closing leaves no pending entry behind.
// Fixed seeds, so a failure reproduces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  IpProtocol,
  canonicalAddress,
  internetChecksum,
  ipv4FromBytes,
  ipv6FromBytes,
} from '../../../probes/packet';
import {
  SocketRegistry,
  acquireTcpSocket,
  acquireUdpSocket,
  type EchoExpectation,
  type TcpSocket,
  type TcpExpectation,
  type UdpExpectation,
} from '../../../probes/socket';
import { fakeFactory, type FakeTransport } from '../../support/fake-transport';
import * as captured from '../trace/captured';

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 4000);
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const TARGET = { 4: '10.0.7.2', 6: 'fd00:0:0:7::2' } as const;
type Family = 4 | 6;

/** xorshift32 (Marsaglia). */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>>= 0);
  };
}

/** One mutation of `packet` (sometimes none: the original must still match). */
function mutate(next: () => number, packet: Buffer, corpus: Buffer[]): Buffer {
  let out = Buffer.from(packet);
  const steps = next() % 4;
  for (let step = 0; step < steps; step++) {
    switch (next() % 6) {
      case 0: // flip a bit
        if (out.length > 0) out[next() % out.length]! ^= 1 << (next() % 8);
        break;
      case 1: // write a byte, biased to the headers
        if (out.length > 0) out[next() % Math.min(out.length, 64)] = next() & 0xff;
        break;
      case 2: // truncate
        out = out.subarray(0, next() % (out.length + 1));
        break;
      case 3: // extend with garbage
        out = Buffer.concat([out, Buffer.from(Array.from({ length: next() % 40 }, () => next() & 0xff))]);
        break;
      case 4: {
        // splice in a piece of another captured packet
        const other = corpus[next() % corpus.length]!;
        const at = next() % (out.length + 1);
        out = Buffer.concat([out.subarray(0, at), other.subarray(next() % (other.length + 1))]);
        break;
      }
      default: // copy a 4-byte run from one place to another (ports, sequences, addresses)
        if (out.length >= 8)
          out.copy(
            out,
            next() % (out.length - 4),
            next() % (out.length - 4),
            0 + 4 + (next() % (out.length - 4)),
          );
    }
  }
  return out;
}

/** Recomputes an IPv4 packet's ICMP checksum half of the time, so mutations reach the matchers. */
function maybeFixIcmpChecksum(next: () => number, packet: Buffer): void {
  if (next() % 2 === 0 || packet.length < 28 || packet[9] !== 1) return;
  const ihl = (packet[0]! & 0x0f) * 4;
  if (ihl < 20 || packet.length < ihl + 4) return;
  packet.writeUInt16BE(0, ihl + 2);
  packet.writeUInt16BE(internetChecksum(packet, ihl, packet.length - ihl), ihl + 2);
}

/** Where a raw socket of the family starts reading: IPv4 sees the IP header, IPv6 does not. */
function asRead(packet: Buffer, family: Family): { bytes: Buffer; source: string } {
  if (family === 4)
    return { bytes: packet, source: packet.length >= 16 ? ipv4FromBytes(packet, 12) : '0.0.0.0' };
  return { bytes: packet.subarray(40), source: packet.length >= 24 ? ipv6FromBytes(packet, 8) : '::' };
}

/** The quoted IP packet of an ICMP error as the socket sees it, and its transport offset. */
function quotedOf(
  read: Buffer,
  family: Family,
): { ip: Buffer; transport: number; destination: string } | undefined {
  const start = family === 4 ? ((read[0] ?? 0) & 0x0f) * 4 + 8 : 8;
  const ip = read.subarray(start);
  if (family === 4) {
    const ihl = ((ip[0] ?? 0) & 0x0f) * 4;
    if (ip.length < 20) return undefined;
    return { ip, transport: ihl, destination: ipv4FromBytes(ip, 16) };
  }
  if (ip.length < 40) return undefined;
  return { ip, transport: 40, destination: ipv6FromBytes(ip, 24) };
}

interface Fired {
  readonly read: Buffer;
  readonly check: () => void;
}

interface Setup {
  transports: FakeTransport[];
  registry: SocketRegistry;
  stats: () => Array<{
    received: number;
    matched: number;
    foreign: number;
    mismatched: number;
    malformed: number;
  }>;
  fired: Fired[];
  firedCount: Map<unknown, number>;
  pending: () => number;
  close: () => void;
}

/** UDP or TCP trace probes of a captured run, all pending; checks bound to the packet being read. */
function transportSetup(
  family: Family,
  protocol: 'udp' | 'tcp',
  run: captured.CapturedRun,
  current: { read: Buffer; source: string },
): Setup {
  const factory = fakeFactory();
  const registry = new SocketRegistry(factory);
  const fired: Fired[] = [];
  const firedCount = new Map<unknown, number>();
  const at = family === 4 ? 20 : 40;
  const fire = (expectation: unknown, check: (read: Buffer) => void): void => {
    firedCount.set(expectation, (firedCount.get(expectation) ?? 0) + 1);
    const read = current.read;
    fired.push({ read, check: () => check(read) });
  };
  const quotedCheck =
    (fields: {
      destination: string;
      sourcePort: number;
      destinationPort: number;
      tail: number;
      tailAt: number;
      tailBytes: 2 | 4;
    }) =>
    (read: Buffer): void => {
      const quoted = quotedOf(read, family);
      assert.ok(quoted, 'an ICMP error with a quote');
      const t = quoted.transport;
      assert.equal(canonicalAddress(quoted.destination), fields.destination, 'quoted destination');
      assert.equal(quoted.ip.readUInt16BE(t), fields.sourcePort, 'quoted source port');
      assert.equal(quoted.ip.readUInt16BE(t + 2), fields.destinationPort, 'quoted destination port');
      const tail =
        fields.tailBytes === 2
          ? quoted.ip.readUInt16BE(t + fields.tailAt)
          : quoted.ip.readUInt32BE(t + fields.tailAt);
      assert.equal(tail, fields.tail, 'quoted probe identity');
    };
  const sockets: Array<{ pendingCount: number }> = [];
  if (protocol === 'udp') {
    const socket = acquireUdpSocket(registry, family, {});
    sockets.push(socket);
    for (const text of run.probes) {
      const probe = hex(text);
      const fields = {
        destination: TARGET[family],
        sourcePort: probe.readUInt16BE(at),
        destinationPort: probe.readUInt16BE(at + 2),
        tail: probe.readUInt16BE(at + 6),
        tailAt: 6,
        tailBytes: 2 as const,
      };
      const expectation: UdpExpectation = {
        destination: fields.destination,
        sourcePort: fields.sourcePort,
        destinationPort: fields.destinationPort,
        checksum: fields.tail,
        onIcmpError: () => fire(expectation, quotedCheck(fields)),
      };
      socket.expect(expectation);
    }
  } else {
    const socket = acquireTcpSocket(registry, family, {});
    sockets.push(socket);
    for (const text of run.probes) {
      const probe = hex(text);
      const sequence = probe.readUInt32BE(at + 4);
      const fields = {
        destination: TARGET[family],
        sourcePort: probe.readUInt16BE(at),
        destinationPort: probe.readUInt16BE(at + 2),
        tail: sequence,
        tailAt: 4,
        tailBytes: 4 as const,
      };
      const expectation: TcpExpectation = {
        remoteAddress: TARGET[family],
        remotePort: fields.destinationPort,
        localPort: fields.sourcePort,
        sequence,
        onAnswer: () =>
          fire(expectation, (read) => {
            // A SYN-ACK or RST from the target: its ports reversed, acknowledging sequence + 1.
            const tcp = family === 4 ? ((read[0] ?? 0) & 0x0f) * 4 : 0;
            const source = family === 4 ? ipv4FromBytes(read, 12) : current.source;
            assert.equal(canonicalAddress(source), TARGET[family], 'answer source');
            assert.equal(read.readUInt16BE(tcp), fields.destinationPort, 'answer source port');
            assert.equal(read.readUInt16BE(tcp + 2), fields.sourcePort, 'answer destination port');
            assert.equal((read.readUInt32BE(tcp + 8) - 1) >>> 0, sequence, 'acknowledgment');
          }),
        onIcmpError: () => fire(expectation, quotedCheck(fields)),
      };
      socket.expect(expectation);
    }
  }
  const icmp = registry.icmpSockets()[0]!;
  return {
    transports: factory.opened,
    registry,
    stats: () => [icmp.stats, ...registry.socketsOf<TcpSocket>('tcp').map((s) => s.stats)],
    fired,
    firedCount,
    pending: () => sockets.reduce((sum, s) => sum + s.pendingCount, 0) + icmp.pendingCount,
    close: () => {
      for (const socket of registry.socketsOf('udp')) registry.release(socket);
      for (const socket of registry.socketsOf('tcp')) registry.release(socket);
    },
  };
}

const current: { read: Buffer; source: string } = { read: Buffer.alloc(0), source: '' };

function deliver(setup: Setup, family: Family, packet: Buffer): void {
  const { bytes, source } = asRead(packet, family);
  current.read = bytes;
  current.source = source;
  // What says TCP goes to the raw TCP socket when there is one; anything else to the ICMP socket,
  // which must count a packet of any other protocol as foreign.
  const isTcp = family === 4 ? packet[9] === 6 : packet[6] === 6;
  const icmp = family === 4 ? 1 : 58;
  const transport =
    (isTcp && setup.transports.find((t) => t.protocol === IpProtocol.Tcp)) ||
    setup.transports.find((t) => t.protocol === icmp);
  if (transport) transport.receive(bytes, source);
}

function checkAccounting(setup: Setup, delivered: number): void {
  let received = 0;
  for (const s of setup.stats()) {
    assert.equal(
      s.matched + s.foreign + s.mismatched + s.malformed,
      s.received,
      `every packet counted once: ${JSON.stringify(s)}`,
    );
    received += s.received;
  }
  assert.equal(received, delivered, 'every delivered packet was read');
}

const scenarios: Array<{ name: string; family: Family; protocol: 'udp' | 'tcp'; run: captured.CapturedRun }> =
  [
    { name: 'UDP IPv4', family: 4, protocol: 'udp', run: captured.udp4 },
    { name: 'UDP IPv6', family: 6, protocol: 'udp', run: captured.udp6 },
    { name: 'TCP IPv4', family: 4, protocol: 'tcp', run: captured.tcp4 },
    { name: 'TCP IPv6', family: 6, protocol: 'tcp', run: captured.tcp6 },
  ];

describe('fuzz: receive paths never crash, count everything, and never give a false RTT', () => {
  for (const [index, scenario] of scenarios.entries()) {
    it(`${scenario.name}: ${ROUNDS} mutated answers`, () => {
      const next = random(0x5eed + index);
      const answers = scenario.run.answers.map(hex);
      const corpus = [...answers, ...scenario.run.probes.map(hex)];
      let setup = transportSetup(scenario.family, scenario.protocol, scenario.run, current);
      let delivered = 0;
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 200 === 0) {
          checkAccounting(setup, delivered);
          setup.close();
          assert.equal(setup.pending(), 0, 'closing leaves no pending probe');
          setup = transportSetup(scenario.family, scenario.protocol, scenario.run, current);
          delivered = 0;
        }
        const packet = mutate(next, answers[next() % answers.length]!, corpus);
        if (scenario.family === 4) maybeFixIcmpChecksum(next, packet);
        const firedBefore = setup.fired.length;
        deliver(setup, scenario.family, packet);
        delivered++;
        for (const fired of setup.fired.slice(firedBefore)) fired.check();
        for (const count of setup.firedCount.values()) assert.ok(count <= 1, 'an expectation fires once');
      }
      checkAccounting(setup, delivered);
    });
  }

  it('echo replies: only the right source, identifier, sequence and token give an RTT', () => {
    for (const family of [4, 6] as const) {
      const run = family === 4 ? captured.icmp4 : captured.icmp6;
      const at = family === 4 ? 20 : 40;
      const next = random(0xec40 + family);
      const answers = run.answers.map(hex);
      const corpus = [...answers, ...run.probes.map(hex)];
      for (let round = 0; round < ROUNDS / 4; round++) {
        const factory = fakeFactory();
        const registry = new SocketRegistry(factory);
        const socket = registry.acquireIcmp(family, {});
        const replies: EchoExpectation[] = [];
        for (const text of run.probes) {
          const probe = hex(text);
          const expectation: EchoExpectation = {
            identifier: probe.readUInt16BE(at + 4),
            sequence: probe.readUInt16BE(at + 6),
            destination: TARGET[family],
            tokenHigh: probe.readUInt32BE(at + 8),
            tokenLow: probe.readUInt32BE(at + 12),
            payloadLength: probe.length - at - 8,
            onReply: () => replies.push(expectation),
            onError: () => undefined,
          };
          socket.expect(expectation);
        }
        const packet = mutate(next, answers[next() % answers.length]!, corpus);
        if (family === 4) maybeFixIcmpChecksum(next, packet);
        const { bytes, source } = asRead(packet, family);
        factory.opened[0]!.receive(bytes, source);
        const s = socket.stats;
        assert.equal(s.matched + s.foreign + s.mismatched + s.malformed, s.received);
        for (const expectation of replies) {
          const icmp = family === 4 ? ((bytes[0] ?? 0) & 0x0f) * 4 : 0;
          assert.equal(canonicalAddress(source), TARGET[family], 'reply source');
          assert.equal(bytes.readUInt16BE(icmp + 4), expectation.identifier);
          assert.equal(bytes.readUInt16BE(icmp + 6), expectation.sequence);
          assert.equal(bytes.readUInt32BE(icmp + 8), expectation.tokenHigh);
          assert.equal(bytes.readUInt32BE(icmp + 12), expectation.tokenLow);
        }
        registry.release(socket);
        assert.equal(socket.pendingCount, 0);
      }
    }
  });
});
