import {
  canonicalAddress,
  IPV4_HEADER_LENGTH,
  ipv4FromBytes,
  IpProtocol,
  PacketDecodeError,
  TcpFlag,
  tcpSegment,
  withIpHeader,
  type IpFamily,
} from '../packet';
import type { FamilyBinding } from './bind';
import type { IcmpSocket, QuotedError, QuotedErrorOutcome } from './icmp-socket';
import type { RawTransport, RawTransportFactory, TimestampSource, StampsMissed } from './raw-transport';
import { NO_STAMPS_MISSED } from './raw-transport';
import type { SharedSocket, SocketRegistry } from './socket-registry';
import { tcpAnswerFilter } from './socket-filters';

/** A SYN waiting for its answer: the SYN-ACK or RST that acknowledges it, or an ICMP error quoting it. */
export interface TcpExpectation {
  /** Canonical text form. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Our SYN's sequence number; a reply must acknowledge sequence + 1. */
  readonly sequence: number;
  /** SYN-ACK or RST from remoteAddress:remotePort. */
  onAnswer(receivedAt: bigint, answer: TcpAnswer): void;
  /** An ICMP error quoting this SYN (unreachable, time exceeded). */
  onIcmpError?(receivedAt: bigint, error: QuotedError): void;
}

export interface TcpAnswer {
  kind: 'syn-ack' | 'rst';
  flags: number;
  /** IPv4 only: IPv6 raw sockets do not see the IP header. */
  ttl?: number;
  window: number;
  /** Bytes of the TCP segment (header, options, payload). */
  bytes: number;
}

/** What the receive path did with every segment it read. */
export interface TcpSocketStats {
  received: number;
  /** Failed to decode (truncated, bad header lengths). */
  malformed: number;
  /** Not a SYN-ACK or RST, or for no pending probe (other connections of the namespace, late answers). */
  foreign: number;
  /** Ports of a pending probe, but the source address or acknowledgment number is wrong: forged, stale or crossed. */
  mismatched: number;
  /** Delivered to the pending probe it belongs to (ICMP errors quoting a SYN are counted by the ICMP socket). */
  matched: number;
}

const SYN_ACK = TcpFlag.SYN | TcpFlag.ACK;
/** Bytes a segment needs for the receive path's checks: ports, sequence, ack, offset, flags. */
const TCP_PEEK_LENGTH = 14;

const portsKey = (localPort: number, remotePort: number): number => localPort * 0x10000 + remotePort;

/**
 * One raw IPPROTO_TCP socket shared by every TCP probe (knock, TCP traceroute) of the process that
 * uses the same family and binding. Such a socket receives a copy of every TCP segment reaching
 * the namespace; only SYN-ACKs and RSTs are looked at, and each goes to the single pending probe
 * whose ports, remote address and sequence it acknowledges. ICMP errors quoting our SYNs come
 * through the ICMP socket of the same family and binding.
 *
 * Checksums of received segments are not verified: segments generated inside the host (loopback,
 * veth peers) arrive with partial checksums (CHECKSUM_PARTIAL), and the 32-bit acknowledgment of
 * our random sequence number already rejects anything that is not the answer.
 */
export class TcpSocket implements SharedSocket {
  readonly stats: TcpSocketStats = { received: 0, malformed: 0, foreign: 0, mismatched: 0, matched: 0 };
  private readonly transport: RawTransport;
  /** Pending probes by (local port, remote port); usually one per key. */
  private readonly pending = new Map<number, TcpExpectation[]>();
  private pendingTotal = 0;
  private icmp: IcmpSocket | undefined;
  private unsubscribeIcmp: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly family: IpFamily,
    readonly binding: FamilyBinding,
    openTransport: RawTransportFactory,
    private readonly onSocketError?: (error: Error) => void,
    private readonly registry?: SocketRegistry,
  ) {
    this.transport = openTransport({
      family,
      protocol: IpProtocol.Tcp,
      headerIncluded: binding.source !== undefined,
      filter: tcpAnswerFilter(family),
      onPacket: (packet, source, receivedAt) => this.receive(packet, source, receivedAt),
      ...(binding.interface !== undefined && { interface: binding.interface }),
      ...(onSocketError && { onError: onSocketError }),
    });
    if (registry !== undefined) {
      try {
        this.icmp = registry.acquireIcmp(family, binding);
      } catch (error) {
        this.transport.close();
        throw error;
      }
      this.unsubscribeIcmp = this.icmp.onQuotedError(IpProtocol.Tcp, (error, receivedAt) =>
        this.receiveIcmpError(error, receivedAt),
      );
    }
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
    return this.pendingTotal;
  }

  /** Registers a probe before its SYN is sent. False if the same (remote, remotePort, localPort, sequence) is pending. */
  expect(expectation: TcpExpectation): boolean {
    const key = portsKey(expectation.localPort, expectation.remotePort);
    const list = this.pending.get(key);
    if (list === undefined) {
      this.pending.set(key, [expectation]);
    } else {
      for (const other of list) {
        if (other.sequence === expectation.sequence && other.remoteAddress === expectation.remoteAddress) {
          return false;
        }
      }
      list.push(expectation);
    }
    this.pendingTotal++;
    return true;
  }

  forget(expectation: TcpExpectation): void {
    const key = portsKey(expectation.localPort, expectation.remotePort);
    const list = this.pending.get(key);
    const index = list?.indexOf(expectation) ?? -1;
    if (list === undefined || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.pending.delete(key);
    this.pendingTotal--;
  }

  /**
   * Sends a TCP segment already encoded (with its checksum) to `destination`; with a bound source
   * it is wrapped in an IP header carrying it. `hopLimit` is set just before the packet leaves.
   */
  send(
    segment: Buffer,
    destination: string,
    onSent: (sentAt: bigint) => void,
    onError: (error: Error) => void,
    hopLimit?: number,
  ): void {
    const source = this.binding.source;
    if (source === undefined || !this.transport.headerIncluded) {
      this.transport.send(segment, destination, onSent, onError, hopLimit);
      return;
    }
    let packet: Buffer;
    try {
      packet = withIpHeader(
        {
          family: this.family,
          protocol: IpProtocol.Tcp,
          hopLimit: hopLimit ?? 64,
          dontFragment: true,
          source,
          destination,
        },
        segment,
      );
    } catch (error) {
      onError(error as Error);
      return;
    }
    this.transport.send(packet, destination, onSent, onError);
  }

  /** Reads and dispatches what the socket holds now (before a timeout is declared, say). */
  readNow(): void {
    this.transport.readNow();
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.pendingTotal = 0;
    this.unsubscribeIcmp?.();
    if (this.icmp !== undefined) this.registry?.release(this.icmp);
    this.icmp = undefined;
    this.transport.close();
  }

  /** The receive path: never throws, whatever the bytes. */
  receive(packet: Buffer, source: string, receivedAt: bigint): void {
    this.stats.received++;
    try {
      if (this.family === 4) this.receiveV4(packet, receivedAt);
      else this.receiveSegment(packet, 0, packet.length, source, undefined, receivedAt);
    } catch (error) {
      if (error instanceof PacketDecodeError) this.stats.malformed++;
      else this.onSocketError?.(error as Error);
    }
  }

  private receiveV4(packet: Buffer, receivedAt: bigint): void {
    if (packet.length < IPV4_HEADER_LENGTH || packet[0]! >> 4 !== 4) return void this.stats.malformed++;
    const headerLength = (packet[0]! & 0x0f) * 4;
    const totalLength = packet.readUInt16BE(2);
    if (headerLength < IPV4_HEADER_LENGTH || totalLength < headerLength || totalLength > packet.length) {
      return void this.stats.malformed++;
    }
    // A non-first fragment carries no TCP header.
    if ((packet.readUInt16BE(6) & 0x1fff) !== 0) return void this.stats.foreign++;
    const from = ipv4FromBytes(packet, 12);
    this.receiveSegment(packet, headerLength, totalLength - headerLength, from, packet[8]!, receivedAt);
  }

  private receiveSegment(
    buf: Buffer,
    offset: number,
    length: number,
    from: string,
    ttl: number | undefined,
    receivedAt: bigint,
  ): void {
    if (length < TCP_PEEK_LENGTH) return void this.stats.malformed++;
    const flags = buf[offset + 13]!;
    const isSynAck = (flags & SYN_ACK) === SYN_ACK;
    if (!isSynAck && (flags & TcpFlag.RST) === 0) return void this.stats.foreign++;
    const list = this.pending.get(portsKey(buf.readUInt16BE(offset + 2), buf.readUInt16BE(offset)));
    if (list === undefined) return void this.stats.foreign++;
    const segment = tcpSegment.decode(buf, offset, { length });
    const acknowledged = (segment.acknowledgment - 1) >>> 0;
    const expectation = list.find((e) => e.sequence === acknowledged && sameAddress(from, e.remoteAddress));
    // An RST answering a SYN carries ACK and acknowledges it (RFC 9293 §3.10.7.1); one without ACK is not an answer.
    if (expectation === undefined || (!isSynAck && (flags & TcpFlag.ACK) === 0)) {
      return void this.stats.mismatched++;
    }
    this.forget(expectation);
    this.stats.matched++;
    expectation.onAnswer(receivedAt, {
      kind: isSynAck ? 'syn-ack' : 'rst',
      flags,
      window: segment.window,
      bytes: length,
      ...(ttl !== undefined && { ttl }),
    });
  }

  /** An ICMP error quoting a TCP segment: ours if it quotes the ports, destination and sequence of a pending SYN. */
  private receiveIcmpError(error: QuotedError, receivedAt: bigint): QuotedErrorOutcome {
    const { quoted, transportOffset: offset } = error;
    if (quoted.length < offset + 8) return 'foreign';
    const list = this.pending.get(portsKey(quoted.readUInt16BE(offset), quoted.readUInt16BE(offset + 2)));
    if (list === undefined) return 'foreign';
    const sequence = quoted.readUInt32BE(offset + 4);
    const expectation = list.find(
      (e) =>
        e.sequence === sequence &&
        e.onIcmpError !== undefined &&
        sameAddress(error.quotedDestination, e.remoteAddress),
    );
    if (expectation === undefined) return 'mismatched';
    this.forget(expectation);
    expectation.onIcmpError!(receivedAt, error);
    return 'matched';
  }
}

/** The shared TCP socket of (family, binding) in `registry`, opened on first use; give it back with registry.release(). */
export function acquireTcpSocket(
  registry: SocketRegistry,
  family: IpFamily,
  binding: FamilyBinding,
): TcpSocket {
  return registry.acquire(
    'tcp',
    family,
    binding,
    () => new TcpSocket(family, binding, registry.openTransport, registry.onSocketError, registry),
  );
}

function sameAddress(received: string, expected: string): boolean {
  if (received === expected) return true;
  try {
    return canonicalAddress(received) === expected;
  } catch {
    return false;
  }
}
