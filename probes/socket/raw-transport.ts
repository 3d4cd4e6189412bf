import * as raw from 'raw-socket';
import { ProbeError, rawSocketPermissionError } from '../errors';
import { IpProtocol, type IpFamily, type IpProtocolNumber } from '../packet';
import {
  ICMP6_FILTER,
  ICMP_FILTER,
  IP_HDRINCL,
  IP_TTL,
  IPPROTO_ICMPV6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HDRINCL,
  IPV6_UNICAST_HOPS,
  SO_BINDTODEVICE,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOL_RAW,
  SOL_SOCKET,
} from './socket-options';

/** Called for every datagram read; `packet` is only valid during the call (the buffer is reused). */
export type RawPacketHandler = (packet: Buffer, source: string, receivedAt: bigint) => void;

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
  onPacket: RawPacketHandler;
  onError?: (error: Error) => void;
}

export interface RawTransport {
  readonly family: IpFamily;
  readonly protocol: number;
  readonly headerIncluded: boolean;
  /**
   * Sends a packet at once, or queues it (in order) while the socket buffer is full. `onSent` gets
   * the high-resolution time taken just before sendto(2), and like `onError` may run before send()
   * returns; `hopLimit` (when not header-included) is set on the socket just before that packet leaves.
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

const SEND_BUFFER_BYTES = 4 * 1024 * 1024;
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
export const openRawTransport: RawTransportFactory = (options) => new NativeRawTransport(options);

class NativeRawTransport implements RawTransport {
  readonly family: IpFamily;
  readonly protocol: number;
  readonly headerIncluded: boolean;
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
    const what = `${protocolName(options.protocol)}${options.family === 6 ? ' IPv6' : ' IPv4'}`;
    try {
      this.socket = raw.createSocket({
        protocol: options.protocol,
        addressFamily: options.family === 6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4,
      });
    } catch (error) {
      if (/not permitted|permission denied/i.test(String((error as Error).message))) {
        throw rawSocketPermissionError(what, error);
      }
      throw new ProbeError(
        'ERR_RAW_SOCKET_OPEN',
        `cannot open a raw ${what} socket: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    try {
      this.configure();
    } catch (error) {
      this.socket.close();
      throw error;
    }
    this.socket.wrap.removeAllListeners('recvReady');
    this.socket.wrap.on('recvReady', () => this.readNow());
    this.socket.on('error', (error: Error) => this.options.onError?.(error));
  }

  private configure(): void {
    const { options, socket } = this;
    const bufferBytes = options.receiveBufferBytes ?? 4 * 1024 * 1024;
    try {
      socket.setOption(SOL_SOCKET, SO_RCVBUFFORCE, bufferBytes);
    } catch {
      socket.setOption(SOL_SOCKET, SO_RCVBUF, bufferBytes);
    }
    // Packets waiting in an egress queue count against the sending socket's buffer, shared by every
    // target of the family: at the kernel's default size a stalled interface holding a few hundred
    // probes made every other send fail with ENOBUFS (test/e2e/send-faults.test.ts).
    try {
      socket.setOption(SOL_SOCKET, SO_SNDBUFFORCE, SEND_BUFFER_BYTES);
    } catch {
      socket.setOption(SOL_SOCKET, SO_SNDBUF, SEND_BUFFER_BYTES);
    }
    if (options.interface) {
      const name = Buffer.from(`${options.interface}\0`);
      try {
        socket.setOption(SOL_SOCKET, SO_BINDTODEVICE, name, name.length);
      } catch (error) {
        throw new ProbeError(
          'ERR_BIND_INTERFACE',
          `cannot bind to interface "${options.interface}": ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    if (this.headerIncluded) {
      if (options.family === 6) socket.setOption(IPPROTO_IPV6, IPV6_HDRINCL, 1);
      else socket.setOption(IPPROTO_IP, IP_HDRINCL, 1);
    }
    if (options.acceptIcmpTypes) this.setIcmpFilter(options.acceptIcmpTypes);
  }

  private setIcmpFilter(accept: readonly number[]): void {
    if (this.family === 4) {
      // ICMP_FILTER: a 32-bit mask of the types to drop (types above 31 always pass).
      let drop = 0xffffffff;
      for (const type of accept) if (type < 32) drop &= ~(1 << type);
      const value = Buffer.alloc(4);
      value.writeUInt32LE(drop >>> 0);
      this.socket.setOption(SOL_RAW, ICMP_FILTER, value, 4);
    } else {
      // ICMP6_FILTER: 256 bits, a set bit blocks that type.
      const value = Buffer.alloc(32, 0xff);
      for (const type of accept) {
        const word = type >> 5;
        value.writeUInt32LE((value.readUInt32LE(word * 4) & ~(1 << (type & 31))) >>> 0, word * 4);
      }
      this.socket.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, value, 32);
    }
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

function protocolName(protocol: number): string {
  switch (protocol) {
    case IpProtocol.Icmp:
      return 'ICMP';
    case IpProtocol.Tcp:
      return 'TCP';
    case IpProtocol.Udp:
      return 'UDP';
    case IpProtocol.Icmpv6:
      return 'ICMPv6';
    default:
      return `protocol-${protocol}`;
  }
}
