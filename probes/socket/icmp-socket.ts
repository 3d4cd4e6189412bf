import {
  canonicalAddress,
  icmp,
  icmpProtocolOf,
  icmpv6,
  internetChecksum,
  ipv4Header,
  ipv6Header,
  IpProtocol,
  finishChecksum,
  ICMP_HEADER_LENGTH,
  IcmpType,
  Icmpv6Type,
  IPV6_HEADER_LENGTH,
  PacketDecodeError,
  pseudoHeaderSum,
  type IcmpError,
  type IpFamily,
  type IpProtocolNumber,
} from '../packet';
import type { FamilyBinding } from './bind';
import { ProbeTable } from './probe-table';
import type { RawTransport, RawTransportFactory, TimestampSource, StampsMissed } from './raw-transport';
import { NO_STAMPS_MISSED } from './raw-transport';

/** A pending echo request, waiting for the one reply (or ICMP error) that belongs to it. */
export interface EchoExpectation {
  readonly identifier: number;
  readonly sequence: number;
  /** Canonical text form of the address the request went to. */
  readonly destination: string;
  /**
   * For IPv4, the same address as an unsigned 32-bit value: lets the receive path match a reply
   * without decoding it into objects. Absent, replies take the general path.
   */
  readonly destinationV4?: number | undefined;
  /** The 8 random bytes at the start of the request's payload, as two big-endian words; a reply must echo them. */
  readonly tokenHigh: number;
  readonly tokenLow: number;
  readonly payloadLength: number;
  /**
   * One's-complement sum (not folded, not complemented) of the request's ICMP message with a zero
   * checksum field, without the IPv6 pseudo-header: the quoted checksum of an ICMP error must be the
   * one it gives. The checksum depends on the token, so an error quoting only the ICMP header (RFC 792)
   * still carries 16 bits that an off-path sender must guess. Absent, the quoted checksum is not checked.
   */
  readonly messageSum?: number | undefined;
  onReply(receivedAt: bigint, reply: EchoReplyInfo): void;
  /**
   * An ICMP error quoting this request. With `quotesToken` the probe is no longer pending (as for a
   * reply); without, it still is: a reply or a later error may follow, and the expectation decides
   * whether to settle (and forget itself) or wait.
   */
  onError(receivedAt: bigint, error: IcmpErrorInfo): void;
}

/** Only valid during the onReply call: the socket reuses it. */
export interface EchoReplyInfo {
  /** ICMP message bytes (header and payload). */
  bytes: number;
  /**
   * TTL (IPv4) or hop limit (IPv6) of the reply. IPv6 raw sockets do not see the header: the hop
   * limit comes from the native transport's control message, and is absent on raw-socket.
   */
  ttl?: number;
}

export interface IcmpErrorInfo {
  type: number;
  code: number;
  /** Address of the router or host that sent the error. */
  from: string;
  /**
   * The error quotes the request's payload token (and its length), and they match: only a node that
   * saw the request can have sent it. False for an error quoting the request's ICMP header only (the
   * RFC 792 minimum, still sent by some routers): anyone who guessed the identifier, sequence and
   * checksum could have forged it.
   */
  quotesToken: boolean;
}

/**
 * An ICMP error quoting a packet of another protocol (a UDP or TCP probe), as handed to the
 * handlers registered with `IcmpSocket.onQuotedError`.
 */
export interface QuotedError {
  type: number;
  code: number;
  /** Address of the router or host that sent the error. */
  from: string;
  /** The quoted packet: its IP header (v4 or v6) and what follows of the transport header. */
  quoted: Buffer;
  /** Offset in `quoted` of the transport header (after the quoted IP header). */
  transportOffset: number;
  /** Canonical addresses of the quoted packet. */
  quotedSource: string;
  quotedDestination: string;
  /** IPv4 identification field of the quoted packet (absent for IPv6). */
  quotedIpId?: number;
  /** TTL / hop limit left in the quoted packet when the error was generated. */
  quotedHopLimit: number;
}

/** What a handler did with a quoted error: took it, recognised but rejected it, or did not know it. */
export type QuotedErrorOutcome = 'matched' | 'mismatched' | 'foreign';

export type QuotedErrorHandler = (error: QuotedError, receivedAt: bigint) => QuotedErrorOutcome;

/** What the receive path did with every packet it read. */
export interface IcmpSocketStats {
  received: number;
  /** Failed to decode (truncated, bad lengths, bad checksum). */
  malformed: number;
  /** Decoded, but not for any pending probe of this socket (other programs' traffic, late replies). */
  foreign: number;
  /** Names a pending probe, but the source address or payload token is wrong: forged or crossed. */
  mismatched: number;
  /** Delivered to the pending probe it belongs to. */
  matched: number;
}

const ACCEPT_V4 = [
  IcmpType.EchoReply,
  IcmpType.DestinationUnreachable,
  IcmpType.TimeExceeded,
  IcmpType.ParameterProblem,
];
const ACCEPT_V6 = [
  Icmpv6Type.EchoReply,
  Icmpv6Type.DestinationUnreachable,
  Icmpv6Type.PacketTooBig,
  Icmpv6Type.TimeExceeded,
  Icmpv6Type.ParameterProblem,
];

const echoKey = (identifier: number, sequence: number): number => identifier * 0x10000 + sequence;

/** Bytes of the payload token an echo request starts with (see EchoExpectation.tokenHigh). */
const TOKEN_BYTES = 8;

/**
 * One raw ICMP (or ICMPv6) socket shared by every probe of the process that uses the same
 * family and binding. Every packet read is decoded once and handed to the single pending
 * probe it belongs to, or counted and dropped.
 */
export class IcmpSocket {
  readonly stats: IcmpSocketStats = { received: 0, malformed: 0, foreign: 0, mismatched: 0, matched: 0 };
  private readonly transport: RawTransport;
  private readonly pending = new ProbeTable<EchoExpectation>();
  private readonly quotedHandlers = new Map<number, QuotedErrorHandler[]>();
  private readonly replyInfo: { bytes: number; ttl?: number } = { bytes: 0, ttl: 0 };

  constructor(
    readonly family: IpFamily,
    readonly binding: FamilyBinding,
    openTransport: RawTransportFactory,
    onSocketError?: (error: Error) => void,
  ) {
    const options = {
      family,
      protocol: icmpProtocolOf(family),
      headerIncluded: binding.source !== undefined,
      acceptIcmpTypes: family === 4 ? ACCEPT_V4 : ACCEPT_V6,
      onPacket: (packet: Buffer, source: string, receivedAt: bigint, hopLimit?: number) =>
        this.receive(packet, source, receivedAt, hopLimit),
      ...(binding.interface !== undefined && { interface: binding.interface }),
      ...(onSocketError && { onError: onSocketError }),
    };
    this.transport = openTransport(options);
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

  /** Registers a probe before its request is sent. Returns false if (identifier, sequence) is taken. */
  expect(expectation: EchoExpectation): boolean {
    const key = echoKey(expectation.identifier, expectation.sequence);
    if (this.pending.has(key)) return false;
    this.pending.set(key, expectation);
    return true;
  }

  /**
   * Hands every ICMP error quoting a packet of IP protocol `protocol` (IpProtocol.Tcp or Udp) to
   * `handler`, after the handlers registered before it declined ("foreign"). Returns the
   * unsubscribe function.
   */
  onQuotedError(protocol: IpProtocolNumber, handler: QuotedErrorHandler): () => void {
    const handlers = this.quotedHandlers.get(protocol) ?? [];
    handlers.push(handler);
    this.quotedHandlers.set(protocol, handlers);
    return () => {
      const index = handlers.indexOf(handler);
      if (index >= 0) handlers.splice(index, 1);
    };
  }

  forget(expectation: EchoExpectation): void {
    const key = echoKey(expectation.identifier, expectation.sequence);
    if (this.pending.get(key) === expectation) this.pending.delete(key);
  }

  send(
    packet: Buffer,
    destination: string,
    onSent: (sentAt: bigint) => void,
    onError: (error: Error) => void,
    hopLimit?: number,
  ): void {
    this.transport.send(packet, destination, onSent, onError, hopLimit);
  }

  /** Reads and dispatches what the socket holds now (before a timeout is declared, say). */
  readNow(): void {
    this.transport.readNow();
  }

  close(): void {
    this.pending.clear();
    this.transport.close();
  }

  /**
   * The receive path: never throws, whatever the bytes. `hopLimit`: an IPv6 datagram's, when the
   * transport read it (IPv4's TTL is in the packet).
   */
  receive(packet: Buffer, source: string, receivedAt: bigint, hopLimit?: number): void {
    this.stats.received++;
    try {
      if (this.family === 4) this.receiveV4(packet, receivedAt);
      else this.receiveV6(packet, source, receivedAt, hopLimit);
    } catch (error) {
      if (error instanceof PacketDecodeError) this.stats.malformed++;
      else throw error;
    }
  }

  private receiveV4(packet: Buffer, receivedAt: bigint): void {
    if (this.receiveEchoReplyV4(packet, receivedAt)) return;
    if (this.dropForeignErrorV4(packet)) return;
    const ip = ipv4Header.decode(packet, 0, { verifyChecksum: false });
    if (ip.protocol !== IpProtocol.Icmp) {
      this.stats.foreign++;
      return;
    }
    const message = icmp.decode(packet, ip.headerLength, { length: ip.totalLength - ip.headerLength });
    if (message.kind === 'echo' && message.type === IcmpType.EchoReply) {
      this.deliverReply(message.identifier, message.sequence, ip.source, message.payload, receivedAt, {
        bytes: ip.totalLength - ip.headerLength,
        ttl: ip.ttl,
      });
    } else if (message.kind === 'error') {
      this.deliverError(message, ip.source, receivedAt);
    } else {
      this.stats.foreign++;
    }
  }

  /**
   * The common case, ten thousand times a second, read in place without decoding into objects:
   * a well-formed echo reply for a probe that gave its IPv4 destination as a number. Returns false,
   * having counted nothing, for anything else or anything odd: the general path decides those.
   */
  private receiveEchoReplyV4(packet: Buffer, receivedAt: bigint): boolean {
    const length = packet.length;
    if (length < 28) return false;
    const versionAndIhl = packet[0]!;
    const headerLength = (versionAndIhl & 0x0f) * 4;
    if (versionAndIhl >> 4 !== 4 || headerLength < 20) return false;
    const totalLength = packet.readUInt16BE(2);
    if (totalLength > length || totalLength < headerLength + 8) return false;
    if (packet[9] !== IpProtocol.Icmp || packet[headerLength] !== IcmpType.EchoReply) return false;
    const icmpLength = totalLength - headerLength;
    if (internetChecksum(packet, headerLength, icmpLength) !== 0) return false;
    const key = echoKey(packet.readUInt16BE(headerLength + 4), packet.readUInt16BE(headerLength + 6));
    const expectation = this.pending.get(key);
    if (expectation === undefined) {
      this.stats.foreign++;
      return true;
    }
    if (expectation.destinationV4 === undefined) return false;
    const payload = headerLength + 8;
    if (
      packet.readUInt32BE(12) !== expectation.destinationV4 ||
      icmpLength - 8 !== expectation.payloadLength ||
      icmpLength - 8 < 8 ||
      packet.readUInt32BE(payload) !== expectation.tokenHigh ||
      packet.readUInt32BE(payload + 4) !== expectation.tokenLow
    ) {
      this.stats.mismatched++;
      return true;
    }
    this.pending.delete(key);
    this.stats.matched++;
    const info = this.replyInfo;
    info.bytes = icmpLength;
    info.ttl = packet[8]!;
    expectation.onReply(receivedAt, info);
    return true;
  }

  /**
   * An ICMP error flood, read in place: an error quoting an echo request that no pending probe has
   * sent, or a protocol that no handler was registered for, is counted foreign and dropped before
   * anything is decoded into objects or checksummed (whether such a packet is foreign or malformed
   * matters to no probe). Returns false, having counted nothing, for anything else: the general path
   * decides those.
   */
  private dropForeignErrorV4(packet: Buffer): boolean {
    const length = packet.length;
    if (length < 20 + ICMP_HEADER_LENGTH + 20) return false;
    const versionAndIhl = packet[0]!;
    const headerLength = (versionAndIhl & 0x0f) * 4;
    if (versionAndIhl >> 4 !== 4 || headerLength < 20 || packet[9] !== 1) return false;
    const totalLength = packet.readUInt16BE(2);
    if (totalLength > length) return false;
    const type = packet[headerLength];
    if (
      type !== IcmpType.DestinationUnreachable &&
      type !== IcmpType.TimeExceeded &&
      type !== IcmpType.ParameterProblem
    ) {
      return false;
    }
    const quoted = headerLength + ICMP_HEADER_LENGTH;
    if (quoted + 20 > totalLength) return false;
    const quotedVersionAndIhl = packet[quoted]!;
    const quotedHeaderLength = (quotedVersionAndIhl & 0x0f) * 4;
    if (quotedVersionAndIhl >> 4 !== 4 || quotedHeaderLength < 20) return false;
    if (
      !this.quotesPendingOrHandled(
        packet,
        packet[quoted + 9]!,
        quoted + quotedHeaderLength,
        totalLength,
        IpProtocol.Icmp,
      )
    ) {
      this.stats.foreign++;
      return true;
    }
    return false;
  }

  /** dropForeignErrorV4 for ICMPv6 (`packet` is the ICMPv6 message: raw IPv6 sockets see no IP header). */
  private dropForeignErrorV6(packet: Buffer): boolean {
    const length = packet.length;
    if (length < ICMP_HEADER_LENGTH + IPV6_HEADER_LENGTH) return false;
    const type = packet[0]!;
    if (type < Icmpv6Type.DestinationUnreachable || type > Icmpv6Type.ParameterProblem) return false;
    if (packet[ICMP_HEADER_LENGTH]! >> 4 !== 6) return false;
    const nextHeader = packet[ICMP_HEADER_LENGTH + 6]!;
    if (
      !this.quotesPendingOrHandled(
        packet,
        nextHeader,
        ICMP_HEADER_LENGTH + IPV6_HEADER_LENGTH,
        length,
        IpProtocol.Icmpv6,
      )
    ) {
      this.stats.foreign++;
      return true;
    }
    return false;
  }

  /**
   * Whether the general path may have something to deliver for an error quoting a packet of
   * `protocol` whose transport header starts at `transport` (and the message ends at `end`): an echo
   * request under a pending (identifier, sequence), or a protocol with registered handlers.
   */
  private quotesPendingOrHandled(
    packet: Buffer,
    protocol: number,
    transport: number,
    end: number,
    echoProtocol: number,
  ): boolean {
    if (protocol !== echoProtocol) return (this.quotedHandlers.get(protocol)?.length ?? 0) > 0;
    const requestType = echoProtocol === IpProtocol.Icmp ? IcmpType.EchoRequest : Icmpv6Type.EchoRequest;
    return (
      transport + ICMP_HEADER_LENGTH <= end &&
      packet[transport] === requestType &&
      this.pending.has(echoKey(packet.readUInt16BE(transport + 4), packet.readUInt16BE(transport + 6)))
    );
  }

  private receiveV6(packet: Buffer, source: string, receivedAt: bigint, hopLimit: number | undefined): void {
    if (this.dropForeignErrorV6(packet)) return;
    // The kernel has verified the ICMPv6 checksum of what a raw ICMPv6 socket receives.
    const message = icmpv6.decode(packet);
    if (message.kind === 'echo' && message.type === Icmpv6Type.EchoReply) {
      this.deliverReply(message.identifier, message.sequence, source, message.payload, receivedAt, {
        bytes: packet.length,
        ...(hopLimit !== undefined && { ttl: hopLimit }),
      });
    } else if (message.kind === 'error') {
      this.deliverError(message, source, receivedAt);
    } else {
      this.stats.foreign++;
    }
  }

  private deliverReply(
    identifier: number,
    sequence: number,
    source: string,
    payload: Buffer,
    receivedAt: bigint,
    info: EchoReplyInfo,
  ): void {
    const key = echoKey(identifier, sequence);
    const expectation = this.pending.get(key);
    if (!expectation) {
      this.stats.foreign++;
      return;
    }
    if (
      !sameAddress(source, expectation.destination) ||
      payload.length !== expectation.payloadLength ||
      payload.readUInt32BE(0) !== expectation.tokenHigh ||
      payload.readUInt32BE(4) !== expectation.tokenLow
    ) {
      this.stats.mismatched++;
      return;
    }
    this.pending.delete(key);
    this.stats.matched++;
    expectation.onReply(receivedAt, info);
  }

  /**
   * An ICMP error belongs to the probe it quotes: for an echo request its destination, identifier,
   * sequence, checksum and (when quoted) payload token and length; for other protocols whatever the
   * handler registered for that protocol checks.
   *
   * Where the error comes from is not checked: a router anywhere on the path may send it, and an
   * error that quotes the right token can only come from a node that saw the request, which could
   * as well have dropped it.
   */
  private deliverError(error: IcmpError, from: string, receivedAt: bigint): void {
    const quoted = error.quoted;
    let destination: string;
    let source: string;
    let protocol: number;
    let offset: number;
    let hopLimit: number;
    let ipId: number | undefined;
    /**
     * Length of what followed the quoted IP header in the original packet, as that header says;
     * undefined for the first fragment of a fragmented IPv4 request (the header gives the fragment's).
     */
    let originalLength: number | undefined;
    let laterFragment = false;
    if (this.family === 4) {
      const ip = ipv4Header.decode(quoted, 0, { verifyChecksum: false, allowTruncatedPayload: true });
      ({ destination, source, protocol, ttl: hopLimit } = ip);
      ipId = ip.identification;
      offset = ip.headerLength;
      originalLength = ip.moreFragments ? undefined : ip.totalLength - ip.headerLength;
      laterFragment = ip.fragmentOffset !== 0;
    } else {
      const ip = ipv6Header.decode(quoted, 0, { allowTruncatedPayload: true });
      ({ destination, source, nextHeader: protocol, hopLimit } = ip);
      offset = IPV6_HEADER_LENGTH;
      originalLength = ip.payloadLength;
    }
    const echoProtocol = icmpProtocolOf(this.family);
    if (protocol !== echoProtocol) {
      this.deliverQuoted(
        protocol,
        {
          type: error.type,
          code: error.code,
          from,
          quoted,
          transportOffset: offset,
          quotedSource: source,
          quotedDestination: destination,
          quotedHopLimit: hopLimit,
          ...(ipId !== undefined && { quotedIpId: ipId }),
        },
        receivedAt,
      );
      return;
    }
    const requestType = this.family === 4 ? IcmpType.EchoRequest : Icmpv6Type.EchoRequest;
    if (laterFragment || quoted.length < offset + 8 || quoted[offset] !== requestType) {
      return void this.stats.foreign++;
    }
    const key = echoKey(quoted.readUInt16BE(offset + 4), quoted.readUInt16BE(offset + 6));
    const expectation = this.pending.get(key);
    if (!expectation) return void this.stats.foreign++;
    if (!sameAddress(destination, expectation.destination)) return void this.stats.mismatched++;
    const quote = this.quotedRequest(quoted, offset, originalLength, expectation);
    if (quote === 'mismatched') return void this.stats.mismatched++;
    const quotesToken = quote === 'token';
    if (quotesToken) this.pending.delete(key);
    this.stats.matched++;
    expectation.onError(receivedAt, { type: error.type, code: error.code, from, quotesToken });
  }

  /**
   * Checks every quoted byte that identifies the request beyond its identifier and sequence: the
   * checksum (when the expectation gives its sum), and when the quote reaches past the ICMP header
   * the payload token and the original length. 'header' when the quote ends before the token.
   */
  private quotedRequest(
    quoted: Buffer,
    offset: number,
    originalLength: number | undefined,
    expectation: EchoExpectation,
  ): 'token' | 'header' | 'mismatched' {
    if (expectation.messageSum !== undefined) {
      let sum = expectation.messageSum;
      if (this.family === 6) {
        // The length the request had (not what the quote claims: that is checked below).
        const length = ICMP_HEADER_LENGTH + expectation.payloadLength;
        sum += pseudoHeaderSum(quoted.subarray(8, 24), quoted.subarray(24, 40), 58, length);
      }
      if (quoted.readUInt16BE(offset + 2) !== finishChecksum(sum)) return 'mismatched';
    }
    const token = offset + ICMP_HEADER_LENGTH;
    if (quoted.length < token + TOKEN_BYTES) return 'header';
    if (
      quoted.readUInt32BE(token) !== expectation.tokenHigh ||
      quoted.readUInt32BE(token + 4) !== expectation.tokenLow ||
      (originalLength !== undefined && originalLength !== ICMP_HEADER_LENGTH + expectation.payloadLength)
    ) {
      return 'mismatched';
    }
    return 'token';
  }

  private deliverQuoted(protocol: number, error: QuotedError, receivedAt: bigint): void {
    for (const handler of this.quotedHandlers.get(protocol) ?? []) {
      const outcome = handler(error, receivedAt);
      if (outcome !== 'foreign') return void this.stats[outcome]++;
    }
    this.stats.foreign++;
  }
}

function sameAddress(received: string, expected: string): boolean {
  if (received === expected) return true;
  try {
    return canonicalAddress(received) === expected;
  } catch {
    return false;
  }
}
