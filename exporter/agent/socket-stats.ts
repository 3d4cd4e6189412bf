import type { IcmpSocket, SocketRegistry, TcpSocket, UdpSocket } from '../../probes/socket';
import type { SocketStatsSource } from '../metrics';

/** The receive statistics of every shared raw socket open now, for netdiag_socket_packets_total. */
export function socketStats(registry: SocketRegistry): SocketStatsSource[] {
  const sources: SocketStatsSource[] = [];
  for (const socket of registry.socketsOf<IcmpSocket>('icmp')) {
    sources.push({
      family: socket.family,
      protocol: 'icmp',
      stats: socket.stats,
      pending: socket.pendingCount,
    });
  }
  for (const socket of registry.socketsOf<TcpSocket>('tcp')) {
    sources.push({
      family: socket.family,
      protocol: 'tcp',
      stats: socket.stats,
      pending: socket.pendingCount,
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
    });
  }
  return sources;
}
