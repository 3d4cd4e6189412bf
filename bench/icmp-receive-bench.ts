// Receive-path micro-benchmark (no privileges, no network: `node dist/bench/icmp-receive-bench.js`).
// Feeds an IcmpSocket with a fake transport a flood of ICMP errors that quote no pending probe, the
// shape of an error flood from an off-path sender, while 10,000 probes are pending, and prints the
// mean CPU nanoseconds per packet of each shape (the least of BENCH_REPEATS runs) and how each was
// counted. It writes nothing: figures are copied into bench/results.md ("ICMP errors on the receive path").
import { randomInt } from 'node:crypto';
import { IcmpSocket, type EchoExpectation, type RawTransport } from '../probes/socket';
import {
  icmpEcho,
  icmpErrorV6,
  icmpv6Echo,
  ipv4Packet,
  ipv6Packet,
  IcmpType,
  Icmpv6Type,
} from '../test/support/packets';
import { icmp, icmpProtocolOf, IpProtocol } from '../probes/packet';

const PENDING = 10_000;
const DISTINCT = 4096;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2_000_000);
const LOCAL4 = '10.0.0.1';
const LOCAL6 = 'fd00::1';

interface Shape {
  name: string;
  family: 4 | 6;
  packet: (i: number) => Buffer;
  /** Registers a handler for errors quoting UDP (as a tracer would). */
  udpHandler?: boolean;
}

/** An IPv4 error quoting `quotedBytes` of `original` (the RFC 792 minimum is header + 8). */
function errorV4(original: Buffer, quotedBytes: number): Buffer {
  const quoted = original.subarray(0, Math.min(original.length, quotedBytes));
  const message = Buffer.alloc(8 + quoted.length);
  icmp.encode({ type: IcmpType.DestinationUnreachable, code: 1, quoted }, message);
  return ipv4Packet('10.9.9.9', LOCAL4, IpProtocol.Icmp, message);
}

const request4 = (i: number): Buffer =>
  ipv4Packet(
    LOCAL4,
    `10.1.${(i >> 8) & 255}.${i & 255}`,
    IpProtocol.Icmp,
    icmpEcho(IcmpType.EchoRequest, randomInt(0, 0x10000), i, Buffer.alloc(56)),
  );
const request6 = (i: number): Buffer =>
  ipv6Packet(
    LOCAL6,
    `fd01::${i.toString(16)}`,
    IpProtocol.Icmpv6,
    icmpv6Echo(
      Icmpv6Type.EchoRequest,
      randomInt(0, 0x10000),
      i,
      Buffer.alloc(56),
      LOCAL6,
      `fd01::${i.toString(16)}`,
    ),
  );
const udp4 = (i: number): Buffer =>
  ipv4Packet(LOCAL4, `10.1.0.${i & 255}`, IpProtocol.Udp, Buffer.alloc(8 + 24));

const SHAPES: Shape[] = [
  { name: 'v4 error, echo quoted in 8 bytes', family: 4, packet: (i) => errorV4(request4(i), 28) },
  { name: 'v4 error, echo quoted whole (84 B)', family: 4, packet: (i) => errorV4(request4(i), 576) },
  { name: 'v4 error, UDP quoted, no UDP handler', family: 4, packet: (i) => errorV4(udp4(i), 576) },
  {
    name: 'v4 error, UDP quoted, UDP handler declines',
    family: 4,
    packet: (i) => errorV4(udp4(i), 576),
    udpHandler: true,
  },
  {
    name: 'v6 error, echo quoted whole (104 B)',
    family: 6,
    packet: (i) => icmpErrorV6('fd09::9', LOCAL6, 1, 3, request6(i)),
  },
];

function pendingProbes(socket: IcmpSocket, family: 4 | 6): void {
  const noop = (): void => {};
  for (let i = 0; i < PENDING; i++) {
    const expectation: EchoExpectation = {
      identifier: i & 0xffff,
      sequence: 7,
      destination: family === 4 ? `10.2.${i >> 8}.${i & 255}` : `fd02::${i.toString(16)}`,
      tokenHigh: i,
      tokenLow: i,
      payloadLength: 56,
      onReply: noop,
      onError: noop,
    };
    socket.expect(expectation);
  }
}

function run(shape: Shape): { nsPerPacket: number; stats: IcmpSocket['stats'] } {
  const transports: RawTransport[] = [];
  const socket = new IcmpSocket(shape.family, {}, () => {
    const transport: RawTransport = {
      family: shape.family,
      protocol: icmpProtocolOf(shape.family),
      headerIncluded: false,
      send: () => {},
      readNow: () => {},
      close: () => {},
    };
    transports.push(transport);
    return transport;
  });
  pendingProbes(socket, shape.family);
  if (shape.udpHandler) socket.onQuotedError(IpProtocol.Udp, () => 'foreign');
  // Identifiers of the pending probes are 0..9999 with sequence 7; the flood quotes sequence i ≠ 7.
  const packets = Array.from({ length: DISTINCT }, (_, i) => shape.packet(i + 8));
  const source = shape.family === 4 ? '10.9.9.9' : 'fd09::9';
  for (let i = 0; i < 200_000; i++) socket.receive(packets[i % DISTINCT]!, source, 0n);
  // CPU time of the process, not wall time: on a shared machine, time spent waiting for a core is
  // not the receive path's.
  const started = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) socket.receive(packets[i % DISTINCT]!, source, 0n);
  const used = process.cpuUsage(started);
  return { nsPerPacket: ((used.user + used.system) * 1000) / ROUNDS, stats: { ...socket.stats } };
}

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
// BENCH_SHAPE=<index> runs one shape only: `perf stat -e instructions:u` over two BENCH_ROUNDS then
// gives instructions per packet, which the machine's load does not change.
const only = process.env.BENCH_SHAPE;
for (const shape of only === undefined ? SHAPES : [SHAPES[Number(only)]!]) {
  // The least of a few runs: the machine is shared, and other work only ever adds time.
  const runs = Array.from({ length: REPEATS }, () => run(shape));
  const nsPerPacket = Math.min(...runs.map((r) => r.nsPerPacket));
  const { stats } = runs[0]!;
  process.stdout.write(
    `${shape.name.padEnd(44)} ${nsPerPacket.toFixed(0).padStart(6)} ns/packet  ` +
      `foreign ${stats.foreign} mismatched ${stats.mismatched} malformed ${stats.malformed} matched ${stats.matched}\n`,
  );
}
