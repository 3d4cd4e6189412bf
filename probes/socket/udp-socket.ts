import { IpProtocol, type IpFamily } from '../packet';
import type { FamilyBinding } from './bind';
import type { IcmpSocket, QuotedError, QuotedErrorOutcome } from './icmp-socket';
import type { RawTransport, TimestampSource, StampsMissed } from './raw-transport';
import { NO_STAMPS_MISSED } from './raw-transport';
import { RECEIVE_NOTHING_FILTER } from './socket-filters';
import type { SharedSocket, SocketRegistry } from './socket-registry';

/** A UDP probe in flight, waiting for the ICMP error that quotes it. */
export interface UdpExpectation {
  /** Canonical address the probe went to. */
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  /** The probe's UDP checksum: with fixed ports (Paris traceroute) the identity of the probe. */
  readonly checksum: number;
  /** A time exceeded, destination unreachable (port unreachable from the target) ... quoting the probe. */
  onIcmpError(receivedAt: bigint, error: QuotedError): void;
}

export interface UdpSocketStats {
  /**
   * Datagrams the raw UDP socket read: copies of the namespace's UDP traffic, never our answers. Zero
   * on the native transport, whose filter keeps them in the kernel (RECEIVE_NOTHING_FILTER).
   */
  received: number;
  /** ICMP errors quoting UDP handed to this socket: matched a probe, or named one with a wrong destination. */
  matched: number;
  mismatched: number;
}

/** Copies of incoming UDP traffic are never needed: where no filter drops them, a small buffer lets the kernel drop most. */
const RECEIVE_BUFFER_BYTES = 4096;

const probeKey = (sourcePort: number, checksum: number): number => sourcePort * 0x10000 + checksum;

/**
 * One raw IPPROTO_UDP socket per family and binding, shared by every UDP probe of the process: it
 * sends datagrams built by the caller (checksum included) with a per-packet TTL / hop limit, and
 * takes the ICMP errors quoting them from the shared ICMP socket. What the raw socket itself reads
 * (a copy of every UDP datagram arriving in the namespace) is counted and dropped.
 */
export class UdpSocket implements SharedSocket {
  readonly stats: UdpSocketStats = { received: 0, matched: 0, mismatched: 0 };
  private readonly transport: RawTransport;
  private readonly icmp: IcmpSocket;
  private readonly unsubscribe: () => void;
  private readonly pending = new Map<number, UdpExpectation>();
  private closed = false;

  constructor(
    readonly family: IpFamily,
    readonly binding: FamilyBinding,
    private readonly registry: SocketRegistry,
  ) {
    this.icmp = registry.acquireIcmp(family, binding);
    try {
      this.transport = registry.openTransport({
        family,
        protocol: IpProtocol.Udp,
        headerIncluded: binding.source !== undefined,
        receiveBufferBytes: RECEIVE_BUFFER_BYTES,
        filter: RECEIVE_NOTHING_FILTER,
        onPacket: () => void this.stats.received++,
        ...(binding.interface !== undefined && { interface: binding.interface }),
        ...(registry.onSocketError && { onError: registry.onSocketError }),
      });
    } catch (error) {
      registry.release(this.icmp);
      throw error;
    }
    this.unsubscribe = this.icmp.onQuotedError(IpProtocol.Udp, (error, receivedAt) =>
      this.deliver(error, receivedAt),
    );
  }

  get headerIncluded(): boolean {
    return this.transport.headerIncluded;
  }

  /** Where the RTTs' times come from (see TimestampSource). */
  get timestampSource(): TimestampSource {
    return this.transport.timestampSource ?? 'user';
  }

  /** Packets timed by the process clock although kernel stamps are on (see StampsMissed); none without them. */
  get stampsMissed(): Readonly<StampsMissed> {
    return this.transport.stampsMissed ?? NO_STAMPS_MISSED;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Registers a probe before it is sent. False if (sourcePort, checksum) is already pending. */
  expect(expectation: UdpExpectation): boolean {
    const key = probeKey(expectation.sourcePort, expectation.checksum);
    if (this.pending.has(key)) return false;
    this.pending.set(key, expectation);
    return true;
  }

  forget(expectation: UdpExpectation): void {
    const key = probeKey(expectation.sourcePort, expectation.checksum);
    if (this.pending.get(key) === expectation) this.pending.delete(key);
  }

  /** Sends a datagram (with an IP header when the socket is header-included); see RawTransport.send. */
  send(
    packet: Buffer,
    destination: string,
    onSent: (sentAt: bigint) => void,
    onError: (error: Error) => void,
    hopLimit?: number,
  ): void {
    this.transport.send(packet, destination, (sentAt) => this.afterSend(sentAt, onSent), onError, hopLimit);
  }

  /**
   * A near router answers while sendto(2) runs, on the ICMP socket: read it at once, or the answer
   * waits for the rest of the batch of sends (and its RTT with it), as a shared ICMP socket that does
   * not send has no other chance to be read between two sends.
   */
  private afterSend(sentAt: bigint, onSent: (sentAt: bigint) => void): void {
    onSent(sentAt);
    this.icmp.readNow();
  }

  /** Reads the ICMP socket now, where the answers to UDP probes arrive (before declaring a timeout). */
  readNow(): void {
    this.icmp.readNow();
  }

  /** Idempotent; the registry calls it when the last user releases the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.unsubscribe();
    this.transport.close();
    this.registry.release(this.icmp);
  }

  /** The quoted-error handler: the first 8 bytes of the quoted UDP header name the probe. */
  deliver(error: QuotedError, receivedAt: bigint): QuotedErrorOutcome {
    const { quoted, transportOffset: at } = error;
    if (quoted.length < at + 8) return 'foreign';
    const expectation = this.pending.get(probeKey(quoted.readUInt16BE(at), quoted.readUInt16BE(at + 6)));
    if (!expectation) return 'foreign';
    if (
      quoted.readUInt16BE(at + 2) !== expectation.destinationPort ||
      error.quotedDestination !== expectation.destination
    ) {
      this.stats.mismatched++;
      return 'mismatched';
    }
    this.forget(expectation);
    this.stats.matched++;
    expectation.onIcmpError(receivedAt, error);
    return 'matched';
  }
}

/** The registry's shared UDP socket for (family, binding); release it with `registry.release(socket)`. */
export function acquireUdpSocket(
  registry: SocketRegistry,
  family: IpFamily,
  binding: FamilyBinding,
): UdpSocket {
  return registry.acquire('udp', family, binding, () => new UdpSocket(family, binding, registry));
}
