import * as raw from 'raw-socket';
import { ProbeError, rawSocketPermissionError } from '../errors';
import type { IpFamily } from '../packet';

/** Called for every datagram read; `packet` is only valid during the call (the buffer is reused). */
export type RawPacketHandler = (packet: Buffer, source: string, receivedAt: bigint) => void;

export interface RawTransportOptions {
  family: IpFamily;
  /** IP protocol number: 1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6. */
  protocol: number;
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
   * Queues a packet. `onSent` gets the high-resolution time taken just before sendto(2);
   * `hopLimit` (when not header-included) is set on the socket just before that packet leaves.
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

const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IPPROTO_IPV6 = 41;
const IP_TTL = 2;
const IP_HDRINCL = 3;
const IPV6_UNICAST_HOPS = 16;
const IPV6_HDRINCL = 36;
const SOL_RAW = 255;
const ICMP_FILTER = 1;
const IPPROTO_ICMPV6 = 58;
const ICMP6_FILTER = 1;
/** Packets drained per readiness event: raw-socket reads one per event, which lags under bursts. */
const MAX_READS_PER_EVENT = 256;
const WOULD_BLOCK = 'Resource temporarily unavailable';
/**
 * Packets sent per event loop turn at most (the socket is read between two sends); the rest wait
 * for the next turn, so that timers and other I/O get their share.
 */
const SENDS_PER_TURN = 1024;
/** Below this fraction of productive reads after a send, only one send in AFTER_SEND_PROBE_EVERY reads. */
const AFTER_SEND_MIN_HIT_RATE = 0.1;
const AFTER_SEND_PROBE_EVERY = 16;

/** Opens a real raw socket through the `raw-socket` addon. */
export const openRawTransport: RawTransportFactory = (options) => new NativeRawTransport(options);

interface PendingSend {
  packet: Buffer;
  destination: string;
  onSent: (sentAt: bigint) => void;
  onError: (error: Error) => void;
  hopLimit: number | undefined;
  sentAt: bigint;
}

class NativeRawTransport implements RawTransport {
  readonly family: IpFamily;
  readonly protocol: number;
  readonly headerIncluded: boolean;
  private readonly socket: raw.Socket;
  private readonly receiveBuffer = Buffer.alloc(65536);
  private currentHopLimit = -1;
  private outbox: PendingSend[] = [];
  private outboxHead = 0;
  private flushScheduled = false;
  private closed = false;
  private packetsRead = 0;
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
    let source = '';
    let bytes = -1;
    const capture = (_b: Buffer, n: number, from: string): void => {
      bytes = n;
      source = from;
    };
    // raw-socket reports EAGAIN by throwing: skip the stack trace, it costs more than the read.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let i = 0; i < max && !this.closed; i++) {
        bytes = -1;
        try {
          this.socket.wrap.recv(receiveBuffer, capture);
        } catch (error) {
          if ((error as Error).message !== WOULD_BLOCK) options.onError?.(error as Error);
          return;
        }
        const receivedAt = process.hrtime.bigint();
        if (bytes < 0) return;
        this.packetsRead++;
        options.onPacket(receiveBuffer.subarray(0, bytes), source, receivedAt);
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }

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
    this.outbox.push({ packet, destination, onSent, onError, hopLimit, sentAt: 0n });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /**
   * Runs once the current turn's JavaScript is done, so that no later synchronous work stands
   * between a send and the reading of its reply (user-space timestamps see every such delay), and
   * sends at most a few packets per turn: between turns, the poll phase reads the replies.
   * raw-socket's own queue (one packet per writable event) is used only once the socket is full.
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const outbox = this.outbox;
    for (let budget = SENDS_PER_TURN; budget > 0 && this.outboxHead < outbox.length; budget--) {
      const pending = outbox[this.outboxHead++]!;
      if (this.closed) pending.onError(new ProbeError('ERR_CLOSED', 'the raw socket is closed'));
      else if (this.socket.requests.length > 0 || !this.sendNow(pending)) this.enqueue(pending);
      else this.readAfterSend();
    }
    if (this.outboxHead < outbox.length) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    } else {
      this.outbox = [];
      this.outboxHead = 0;
    }
  };

  /**
   * A nearby target (or the kernel itself) answers while sendto(2) runs: read that reply now rather
   * than after the rest of the batch, or after whatever else runs before the poll phase. One read,
   * not a drain: a drain ends in an EAGAIN, which raw-socket throws (about 6 µs and garbage each).
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

  /** False when the socket buffer is full and the packet must wait. */
  private sendNow(pending: PendingSend): boolean {
    try {
      this.prepare(pending);
      this.socket.wrap.send(pending.packet, 0, pending.packet.length, pending.destination, () =>
        pending.onSent(pending.sentAt),
      );
    } catch (error) {
      if ((error as Error).message === WOULD_BLOCK) return false;
      pending.onError(error as Error);
    }
    return true;
  }

  private enqueue(pending: PendingSend): void {
    const { packet } = pending;
    const prepare = (): void => this.prepare(pending);
    this.socket.send(packet, 0, packet.length, pending.destination, prepare, (error) => {
      if (error) pending.onError(error);
      else pending.onSent(pending.sentAt);
    });
  }

  /** Just before sendto(2): the packet's hop limit, then its timestamp. */
  private prepare(pending: PendingSend): void {
    const { hopLimit } = pending;
    if (hopLimit !== undefined && !this.headerIncluded && hopLimit !== this.currentHopLimit) {
      if (this.family === 6) this.socket.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, hopLimit);
      else this.socket.setOption(IPPROTO_IP, IP_TTL, hopLimit);
      this.currentHopLimit = hopLimit;
    }
    pending.sentAt = process.hrtime.bigint();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

function protocolName(protocol: number): string {
  switch (protocol) {
    case 1:
      return 'ICMP';
    case 6:
      return 'TCP';
    case 17:
      return 'UDP';
    case 58:
      return 'ICMPv6';
    default:
      return `protocol-${protocol}`;
  }
}
