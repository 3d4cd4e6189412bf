import {
  IpProtocol,
  KernelDrops,
  type IcmpSocket,
  type SocketRegistry,
  type TcpSocket,
  type UdpSocket,
} from '../../probes';
import type { KernelDropsSource, SocketsSnapshot, SocketStatsSource } from '../metrics';

/** The process's raw sockets are one set, whatever registry opened them: one reader for all. */
let processDrops: KernelDrops | undefined;

/**
 * The receive statistics of every shared raw socket open now (netdiag_socket_packets_total), and
 * the kernel's receive drops of the process's raw sockets (netdiag_socket_kernel_drops_total).
 */
export function socketStats(
  registry: SocketRegistry,
  drops: KernelDrops = (processDrops ??= new KernelDrops()),
): SocketsSnapshot {
  const kernelDrops = readKernelDrops(drops);
  return { sockets: registryStats(registry), ...(kernelDrops && { kernelDrops }) };
}

function registryStats(registry: SocketRegistry): SocketStatsSource[] {
  const sources: SocketStatsSource[] = [];
  for (const socket of registry.socketsOf<IcmpSocket>('icmp')) {
    sources.push({
      family: socket.family,
      protocol: 'icmp',
      stats: socket.stats,
      pending: socket.pendingCount,
      timestamps: socket.timestampSource,
      stampsMissed: socket.stampsMissed,
    });
  }
  for (const socket of registry.socketsOf<TcpSocket>('tcp')) {
    sources.push({
      family: socket.family,
      protocol: 'tcp',
      stats: socket.stats,
      pending: socket.pendingCount,
      timestamps: socket.timestampSource,
      stampsMissed: socket.stampsMissed,
    });
  }
  // The raw UDP socket only sends: whatever it reads is a copy of other traffic (answers to UDP
  // probes are ICMP errors, counted by the ICMP socket).
  for (const socket of registry.socketsOf<UdpSocket>('udp')) {
    const { received } = socket.stats;
    sources.push({
      family: socket.family,
      protocol: 'udp',
      stats: { received, matched: 0, mismatched: 0, malformed: 0, foreign: received },
      pending: socket.pendingCount,
      timestamps: socket.timestampSource,
      stampsMissed: socket.stampsMissed,
    });
  }
  return sources;
}

/** Undefined where /proc cannot be read (not Linux): the series are then absent, not zero. */
function readKernelDrops(drops: KernelDrops): KernelDropsSource[] | undefined {
  let totals;
  try {
    totals = drops.read();
  } catch {
    return undefined;
  }
  return totals.map(({ family, protocol, drops }) => ({ family, protocol: protocolName(protocol), drops }));
}

function protocolName(protocol: number): string {
  switch (protocol) {
    case IpProtocol.Icmp:
    case IpProtocol.Icmpv6:
      return 'icmp';
    case IpProtocol.Tcp:
      return 'tcp';
    case IpProtocol.Udp:
      return 'udp';
    default:
      return String(protocol);
  }
}
