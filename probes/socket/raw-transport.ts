import * as raw from 'raw-socket';
import { ProbeError } from '../errors';
import type { IpFamily, IpProtocolNumber } from '../packet';
import { configureSocket } from './configure-socket';
import { openFailure } from './open-failure';
import { IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_UNICAST_HOPS } from './socket-options';

/**
 * Called for every datagram read; `packet` is only valid during the call (the buffer is reused).
 * `hopLimit` is the IPv6 hop limit of the datagram when the transport can read it (IPv6 raw sockets
 * do not see the IP header; for IPv4 the TTL is in the packet).
 */
export type RawPacketHandler = (
  packet: Buffer,
  source: string,
  receivedAt: bigint,
  hopLimit?: number,
) => void;

/**
 * Where a transport's times come from: `kernel`, the kernel's receive stamp of each datagram and the
 * software transmit stamp of each packet where the device makes one at once; `user`, the process's
 * clock read around sendto and after the read, which adds how late the process woke up for a reply.
 */
export type TimestampSource = 'kernel' | 'user';

export interface RawTransportOptions {
  family: IpFamily;
  /** IP protocol number (IpProtocol). */
  protocol: IpProtocolNumber;
  /** SO_BINDTODEVICE. */
  interface?: string;
  /** IP_HDRINCL / IPV6_HDRINCL: every packet sent carries its own IP header (how a source address is chosen). */
  headerIncluded?: boolean;
  /** Accept only these ICMP / ICMPv6 types (ICMP_FILTER / ICMP6_FILTER); all when absent. */
  acceptIcmpTypes?: readonly number[];
  /** SO_RCVBUF in bytes; default 4 MiB, forced past rmem_max when privileged. */
  receiveBufferBytes?: number;
  /**
   * A classic BPF program (SO_ATTACH_FILTER, 8-byte instructions) deciding which datagrams reach user
   * space. Only a transport that can attach one applies it (not raw-socket's): a filter saves work, the
   * receive path must not depend on it.
   */
  filter?: Buffer;
  onPacket: RawPacketHandler;
  onError?: (error: Error) => void;
}

/**
 * Counts of packets a kernel-stamping transport timed with the process clock instead: a transmit stamp
 * asked for that never came (the packet waited in the kernel longer than 5 s, or was dropped while it
 * waited, as when address resolution fails), a datagram read without its receive stamp. Either RTT may
 * then be off by how long the packet waited; the counts tell such RTTs apart
 * (netdiag_socket_timestamps_missed_total).
 */
export interface StampsMissed {
  transmit: number;
  receive: number;
}

/** What a transport without kernel stamps reports: it never asks for one. */
export const NO_STAMPS_MISSED: Readonly<StampsMissed> = Object.freeze({ transmit: 0, receive: 0 });

export interface RawTransport {
  readonly family: IpFamily;
  readonly protocol: number;
  readonly headerIncluded: boolean;
  /** Where the times handed to onSent and onPacket come from; `user` when absent. */
  readonly timestampSource?: TimestampSource;
  /** With kernel timestamps: packets whose stamp was asked for and not had, so timed by the process clock. */
  readonly stampsMissed?: StampsMissed;
  /**
   * Sends a packet at once, or queues it (in order) while the socket buffer is full. `onSent` gets
   * the packet's send time (the kernel's transmit stamp, or the high-resolution time taken just before
   * sendto(2)), and like `onError` may run before send() returns. A kernel-stamping transport may call
   * `onSent` a second time, later, with the stamp of a packet that waited in the kernel (for address
   * resolution) past the send call: that time replaces the first for the RTT; `hopLimit` (when not header-included) is set on the socket just before that packet leaves.
   * The caller may reuse `packet` once send() returns: a packet that must wait is copied.
   */
  send(
    packet: Buffer,
    destination: string,
    onSent: (sentAt: bigint) => void,
    onError: (error: Error) => void,
    hopLimit?: number,
  ): void;
  /** Reads whatever the socket holds now, without waiting for the event loop's poll phase. */
  readNow(): void;
  close(): void;
}

export type RawTransportFactory = (options: RawTransportOptions) => RawTransport;

/** Packets drained per readiness event: raw-socket reads one per event, which lags under bursts. */
const MAX_READS_PER_EVENT = 256;
/**
 * @internal What raw-socket's recv and send throw on EAGAIN: strerror's text, with no `code` to test
 * (raw-socket 1.8.1, pinned; test/probes/socket/raw-socket-assumptions.test.ts).
 */
export const WOULD_BLOCK = 'Resource temporarily unavailable';
/** Below this fraction of productive reads after a send, only one send in AFTER_SEND_PROBE_EVERY reads. */
const AFTER_SEND_MIN_HIT_RATE = 0.1;
const AFTER_SEND_PROBE_EVERY = 16;

/** Opens a real raw socket through the `raw-socket` addon. */
export const openRawTransport: RawTransportFactory = (options) => new RawSocketTransport(options);

class RawSocketTransport implements RawTransport {
  readonly family: IpFamily;
  readonly protocol: number;
  readonly headerIncluded: boolean;
  readonly timestampSource = 'user';
  private readonly socket: raw.Socket;
  private readonly receiveBuffer = Buffer.alloc(65536);
  private currentHopLimit = -1;
  /** Inside readNow: a send made by a packet handler must not read into the buffer being handled. */
  private reading = false;
  private closed = false;
  private packetsRead = 0;
  private readBytes = -1;
  private readSource = '';
  /** Moving fraction of the reads after a send that found a packet. */
  private afterSendHitRate = 1;
  private sendsSinceRead = 0;

  constructor(private readonly options: RawTransportOptions) {
    this.family = options.family;
    this.protocol = options.protocol;
    this.headerIncluded = options.headerIncluded ?? false;
    try {
      this.socket = raw.createSocket({
        protocol: options.protocol,
        addressFamily: options.family === 6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4,
      });
    } catch (error) {
      throw openFailure(options, error);
    }
    try {
      const socket = this.socket;
      configureSocket(
        {
          setOption: (level, name, value) =>
            typeof value === 'number'
              ? socket.setOption(level, name, value)
              : socket.setOption(level, name, value, value.length),
        },
        options,
      );
    } catch (error) {
      this.socket.close();
      throw error;
    }
    this.socket.wrap.removeAllListeners('recvReady');
    this.socket.wrap.on('recvReady', () => this.readNow());
    this.socket.on('error', (error: Error) => this.options.onError?.(error));
  }

  /** Reads what the socket holds, up to `max` packets. */
  readNow(max = MAX_READS_PER_EVENT): void {
    const { receiveBuffer, options } = this;
    // raw-socket reports EAGAIN by throwing: skip the stack trace, it costs more than the read.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const nested = this.reading;
    this.reading = true;
    try {
      for (let i = 0; i < max && !this.closed; i++) {
        this.readBytes = -1;
        try {
          this.socket.wrap.recv(receiveBuffer, this.captureRead);
        } catch (error) {
          if ((error as Error).message !== WOULD_BLOCK) options.onError?.(error as Error);
          return;
        }
        const receivedAt = process.hrtime.bigint();
        const bytes = this.readBytes;
        if (bytes < 0) return;
        this.packetsRead++;
        options.onPacket(receiveBuffer.subarray(0, bytes), this.readSource, receivedAt);
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
      this.reading = nested;
    }
  }

  /** raw-socket's recv callback, called before recv returns: one function for every read. */
  private readonly captureRead = (_buffer: Buffer, bytes: number, source: string): void => {
    this.readBytes = bytes;
    this.readSource = source;
  };

  send(
    packet: Buffer,
    destination: string,
    onSent: (sentAt: bigint) => void,
    onError: (error: Error) => void,
    hopLimit?: number,
  ): void {
    if (this.closed) {
      onError(new ProbeError('ERR_CLOSED', 'the raw socket is closed'));
      return;
    }
    // Once raw-socket queues (the socket buffer was full), later packets queue behind, in order.
    if (this.socket.requests.length > 0) return this.enqueue(packet, destination, onSent, onError, hopLimit);
    let sentAt: bigint;
    try {
      sentAt = this.prepare(hopLimit);
      // raw-socket calls back before send returns, and only on success: one callback for all.
      this.socket.wrap.send(packet, 0, packet.length, destination, ignoreSent);
    } catch (error) {
      if ((error as Error).message === WOULD_BLOCK)
        return this.enqueue(packet, destination, onSent, onError, hopLimit);
      onError(error as Error);
      return;
    }
    onSent(sentAt);
    if (!this.reading) this.readAfterSend();
  }

  /**
   * A nearby target (or the kernel itself) answers while sendto(2) runs: read that reply now rather
   * than after the rest of the batch, or after whatever else runs before the poll phase. One read,
   * not a drain: a drain ends in an EAGAIN, which raw-socket throws (an Error built each time).
   * When such reads rarely find anything (distant targets), only one send in 16 keeps trying.
   */
  private readAfterSend(): void {
    this.sendsSinceRead++;
    if (this.afterSendHitRate < AFTER_SEND_MIN_HIT_RATE && this.sendsSinceRead < AFTER_SEND_PROBE_EVERY)
      return;
    this.sendsSinceRead = 0;
    const before = this.packetsRead;
    this.readNow(1);
    const hit = this.packetsRead > before ? 1 : 0;
    this.afterSendHitRate += (hit - this.afterSendHitRate) / 32;
  }

  /** raw-socket's queue: one packet per writable event, once the socket buffer has room again. */
  private enqueue(
    packet: Buffer,
    destination: string,
    onSent: (sentAt: bigint) => void,
    onError: (error: Error) => void,
    hopLimit: number | undefined,
  ): void {
    let sentAt = 0n;
    const beforeSend = (): void => {
      sentAt = this.prepare(hopLimit);
    };
    this.socket.send(Buffer.from(packet), 0, packet.length, destination, beforeSend, (error) => {
      if (error) onError(error);
      else onSent(sentAt);
    });
  }

  /** Just before sendto(2): the packet's hop limit, then its timestamp. */
  private prepare(hopLimit: number | undefined): bigint {
    if (hopLimit !== undefined && !this.headerIncluded && hopLimit !== this.currentHopLimit) {
      if (this.family === 6) this.socket.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, hopLimit);
      else this.socket.setOption(IPPROTO_IP, IP_TTL, hopLimit);
      this.currentHopLimit = hopLimit;
    }
    return process.hrtime.bigint();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

function ignoreSent(): void {}
