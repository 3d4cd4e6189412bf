import {
  canonicalAddress,
  decodeIcmp,
  decodeIcmpv6,
  decodeIpv4Header,
  decodeIpv6Header,
  IcmpType,
  Icmpv6Type,
  IPV6_HEADER_LENGTH,
  PacketDecodeError,
  type IcmpError,
  type IpFamily,
} from '../packet';
import type { FamilyBinding } from './bind';
import type { RawTransport, RawTransportFactory } from './raw-transport';

/** A pending echo request, waiting for the one reply (or ICMP error) that belongs to it. */
export interface EchoExpectation {
  readonly identifier: number;
  readonly sequence: number;
  /** Canonical text form of the address the request went to. */
  readonly destination: string;
  /** The 8 random bytes at the start of the request's payload, as two big-endian words; a reply must echo them. */
  readonly tokenHigh: number;
  readonly tokenLow: number;
  readonly payloadLength: number;
  onReply(receivedAt: bigint, reply: EchoReplyInfo): void;
  onError(receivedAt: bigint, error: IcmpErrorInfo): void;
}

export interface EchoReplyInfo {
  /** ICMP message bytes (header and payload). */
  bytes: number;
  /** IPv4 TTL of the reply; IPv6 raw sockets do not see the header, so absent there. */
  ttl?: number;
}

export interface IcmpErrorInfo {
  type: number;
  code: number;
  /** Address of the router or host that sent the error. */
  from: string;
}

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

/**
 * One raw ICMP (or ICMPv6) socket shared by every probe of the process that uses the same
 * family and binding. Every packet read is decoded once and handed to the single pending
 * probe it belongs to, or counted and dropped.
 */
export class IcmpSocket {
  readonly stats: IcmpSocketStats = { received: 0, malformed: 0, foreign: 0, mismatched: 0, matched: 0 };
  private readonly transport: RawTransport;
  private readonly pending = new Map<number, EchoExpectation>();

  constructor(
    readonly family: IpFamily,
    readonly binding: FamilyBinding,
    openTransport: RawTransportFactory,
    onSocketError?: (error: Error) => void,
  ) {
    const options = {
      family,
      protocol: family === 4 ? 1 : 58,
      headerIncluded: binding.source !== undefined,
      acceptIcmpTypes: family === 4 ? ACCEPT_V4 : ACCEPT_V6,
      onPacket: (packet: Buffer, source: string, receivedAt: bigint) =>
        this.receive(packet, source, receivedAt),
      ...(binding.interface !== undefined && { interface: binding.interface }),
      ...(onSocketError && { onError: onSocketError }),
    };
    this.transport = openTransport(options);
  }

  get headerIncluded(): boolean {
    return this.transport.headerIncluded;
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

  /** The receive path: never throws, whatever the bytes. */
  receive(packet: Buffer, source: string, receivedAt: bigint): void {
    this.stats.received++;
    try {
      if (this.family === 4) this.receiveV4(packet, receivedAt);
      else this.receiveV6(packet, source, receivedAt);
    } catch (error) {
      if (error instanceof PacketDecodeError) this.stats.malformed++;
      else throw error;
    }
  }

  private receiveV4(packet: Buffer, receivedAt: bigint): void {
    const ip = decodeIpv4Header(packet, 0, { verifyChecksum: false });
    if (ip.protocol !== 1) {
      this.stats.foreign++;
      return;
    }
    const message = decodeIcmp(packet, ip.headerLength, ip.totalLength - ip.headerLength);
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

  private receiveV6(packet: Buffer, source: string, receivedAt: bigint): void {
    // The kernel has verified the ICMPv6 checksum of what a raw ICMPv6 socket receives.
    const message = decodeIcmpv6(packet, 0, packet.length);
    if (message.kind === 'echo' && message.type === Icmpv6Type.EchoReply) {
      this.deliverReply(message.identifier, message.sequence, source, message.payload, receivedAt, {
        bytes: packet.length,
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

  /** An ICMP error belongs to the echo request it quotes: destination, identifier and sequence. */
  private deliverError(error: IcmpError, from: string, receivedAt: bigint): void {
    const quoted = error.quoted;
    let destination: string;
    let offset: number;
    if (this.family === 4) {
      const ip = decodeIpv4Header(quoted, 0, { verifyChecksum: false, allowTruncatedPayload: true });
      if (ip.protocol !== 1) return void this.stats.foreign++;
      destination = ip.destination;
      offset = ip.headerLength;
    } else {
      const ip = decodeIpv6Header(quoted, 0, { allowTruncatedPayload: true });
      if (ip.nextHeader !== 58) return void this.stats.foreign++;
      destination = ip.destination;
      offset = IPV6_HEADER_LENGTH;
    }
    const requestType = this.family === 4 ? IcmpType.EchoRequest : Icmpv6Type.EchoRequest;
    if (quoted.length < offset + 8 || quoted[offset] !== requestType) return void this.stats.foreign++;
    const key = echoKey(quoted.readUInt16BE(offset + 4), quoted.readUInt16BE(offset + 6));
    const expectation = this.pending.get(key);
    if (!expectation) return void this.stats.foreign++;
    if (!sameAddress(destination, expectation.destination)) return void this.stats.mismatched++;
    this.pending.delete(key);
    this.stats.matched++;
    expectation.onError(receivedAt, { type: error.type, code: error.code, from });
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
