import { ProbeError } from '../errors';
import { ipv4FromBytes, ipv6FromBytes, type IpFamily } from '../packet';
import { openFailure } from './open-failure';
import {
  READY_ERRORS,
  READY_READABLE,
  READY_WRITABLE,
  SEND_WOULD_BLOCK,
  STAMP_MISSED,
  TIMESTAMPS_RECEIVE,
  TIMESTAMPS_SEND,
  type NativeAddon,
  type NativeRawSocket,
} from './native-addon';
import type { RawTransport, RawTransportOptions, StampsMissed, TimestampSource } from './raw-transport';
import { configureSocket } from './configure-socket';
import { IP_RECVERR, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_UNICAST_HOPS } from './socket-options';

/** Datagrams one recvmmsg(2) reads at most; a readiness event reads batches until the socket is empty. */
const RECEIVE_SLOTS = 16;
/** Bytes per datagram slot: an IP datagram's largest size, so that nothing is truncated. */
const SLOT_BYTES = 65536;
/** Bytes of source address per slot, as the addon writes them. */
const ADDRESS_BYTES = 16;

/**
 * How long a send whose transmit stamp had not come when sendmsg returned waits for it: Linux sends 3
 * neighbour solicitations a second apart before it drops what waited for the address (5 s leaves room).
 */
const LATE_STAMP_WAIT_NS = 5_000_000_000n;
/** Sends waiting for their late stamp at most; past it the oldest is given up. */
const LATE_STAMPS_AWAITED = 256;
/** (key, time) pairs taken from the addon per call. */
const LATE_STAMP_PAIRS = 32;

interface AwaitedStamp {
  readonly onSent: (sentAt: bigint) => void;
  readonly sentAt: bigint;
}

interface QueuedSend {
  packet: Buffer;
  destination: string;
  onSent: (sentAt: bigint) => void;
  onError: (error: Error) => void;
  hopLimit: number | undefined;
}

/**
 * A RawTransport on the project's own addon (native/raw_socket.cc): the contract of raw-transport.ts,
 * with times from the kernel. A datagram's receive time is its SO_TIMESTAMPNS stamp, and a packet's send
 * time its software transmit stamp when the send asked for one (within a budget per second: at light
 * load, every send) and the kernel made it by the time sendmsg(2) returns, else the time read in C just
 * before sendmsg, microseconds earlier (bench/results.md); both are in
 * process.hrtime's domain (see the clock invariant in native/raw_socket.cc). How late the process wakes
 * up for a reply then no longer shows in its RTT.
 *
 * IPv4 sockets set IP_RECVERR while their sends run: without it raw_sendmsg() hides ENOBUFS (a full
 * egress queue) and the loss shows as a timeout; set for good, every ICMP error quoting a packet of the
 * socket's protocol (a forged flood's included) would be queued on the error queue and leave its errno
 * on the socket for the next call (see reportSendErrors). The sends of one turn of the event loop are
 * one batch: the first sets it, a microtask after them clears it (endSends). IPv6 sockets report
 * ENOBUFS anyway, so IPV6_RECVERR is not set.
 */
export class NativeTransport implements RawTransport {
  readonly family: IpFamily;
  readonly protocol: number;
  readonly headerIncluded: boolean;
  readonly timestampSource: TimestampSource;
  /** Error-queue entries other than transmit stamps: ICMP errors quoting our packets, local errors. */
  errorQueueEntries = 0;
  readonly stampsMissed: StampsMissed = { transmit: 0, receive: 0 };
  /** Transmit stamps that came after their send returned and replaced its time (see send). */
  lateStamps = 0;
  /** Sends whose stamp had not come when sendmsg returned, by the key the addon gave: oldest first. */
  private readonly awaitedStamps = new Map<number, AwaitedStamp>();
  private readonly lateStampPairs = new BigInt64Array(2 * LATE_STAMP_PAIRS);
  /** Whether the kernel stamps what this socket receives: a datagram read without a stamp is then counted. */
  private readonly receiveStamped: boolean;
  private readonly socket: NativeRawSocket;
  private readonly receiveBuffer = Buffer.allocUnsafeSlow(RECEIVE_SLOTS * SLOT_BYTES);
  private readonly lengths = new Int32Array(RECEIVE_SLOTS);
  private readonly times = new BigInt64Array(RECEIVE_SLOTS);
  private readonly details = new Int32Array(2 * RECEIVE_SLOTS);
  private readonly addresses = Buffer.alloc(RECEIVE_SLOTS * ADDRESS_BYTES);
  private readonly sendTimes = new BigInt64Array(3);
  private readonly queue: QueuedSend[] = [];
  private currentHopLimit = -1;
  /** IPv4: IP_RECVERR is set around sends (reportSendErrors), so a batch of them is ended by endSends. */
  private readonly batchesSends: boolean;
  /** A batch of sends is open: its endSends is queued as a microtask. */
  private batchOpen = false;
  /** Inside readNow: a handler's readNow must not overwrite the buffer being handled. */
  private reading = false;
  private closed = false;

  constructor(
    addon: NativeAddon,
    private readonly options: RawTransportOptions,
    /** The clock of the send times (process.hrtime's), for how long a late stamp is waited for. */
    private readonly now: () => bigint = process.hrtime.bigint,
  ) {
    this.family = options.family;
    this.protocol = options.protocol;
    this.headerIncluded = options.headerIncluded ?? false;
    try {
      this.socket = new addon.RawSocket(options.family, options.protocol);
    } catch (error) {
      throw openFailure(options, error);
    }
    try {
      configureSocket(this.socket, options);
      if (options.family === 4) {
        this.socket.setOption(IPPROTO_IP, IP_RECVERR, 1); // refused: raw-socket is as good (open-transport.ts)
        this.socket.reportSendErrors();
      }
      this.batchesSends = options.family === 4;
      if (options.filter !== undefined) this.socket.attachFilter(options.filter);
    } catch (error) {
      this.socket.close();
      throw error;
    }
    const stamps = this.socket.enableTimestamps();
    const both = TIMESTAMPS_RECEIVE | TIMESTAMPS_SEND;
    this.timestampSource = (stamps & both) === both ? 'kernel' : 'user';
    this.receiveStamped = (stamps & TIMESTAMPS_RECEIVE) !== 0;
    this.socket.startReading(this.onReady);
  }

  private readonly onReady = (error: Error | null, events: number): void => {
    if (this.closed) return;
    if (error !== null) {
      this.options.onError?.(error);
      return;
    }
    if (events & READY_WRITABLE) this.flush();
    // Late transmit stamps, ICMP errors quoting our packets: emptied, or the poll reports them again.
    // Before the answers: a packet that waited (for address resolution) has its stamp queued before
    // it reaches the wire, so its send time is known before its answer is handled.
    if (events & READY_ERRORS) {
      this.errorQueueEntries += this.socket.drainErrors();
      if (this.awaitedStamps.size > 0) this.takeLateStamps();
    }
    if (events & READY_READABLE) this.readNow();
  };

  /** Reads what the socket holds now, in batches, until it is empty or `max` datagrams were read. */
  readNow(max = Infinity): void {
    if (this.reading || this.closed) return;
    if (this.awaitedStamps.size > 0) {
      // Called outside the poll (before a timeout is declared): the stamps first, as onReady does.
      this.errorQueueEntries += this.socket.drainErrors();
      this.takeLateStamps();
    }
    const { receiveBuffer, lengths, times, details, addresses, options } = this;
    this.reading = true;
    try {
      for (let read = 0; read < max && !this.closed;) {
        const count = this.socket.receive(receiveBuffer, SLOT_BYTES, lengths, times, details, addresses);
        if (count instanceof Error) {
          options.onError?.(count);
          return;
        }
        for (let i = 0; i < count && !this.closed; i++) {
          const source =
            this.family === 4
              ? ipv4FromBytes(addresses, i * ADDRESS_BYTES)
              : ipv6FromBytes(addresses, i * ADDRESS_BYTES);
          const start = i * SLOT_BYTES;
          const hopLimit = details[2 * i]!;
          if (details[2 * i + 1] === 0 && this.receiveStamped) this.stampsMissed.receive++;
          options.onPacket(
            receiveBuffer.subarray(start, start + lengths[i]!),
            source,
            times[i]!,
            hopLimit >= 0 ? hopLimit : undefined,
          );
        }
        read += count;
        if (count < RECEIVE_SLOTS) return;
      }
    } finally {
      this.reading = false;
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
    // Once a packet waits (the socket buffer was full), later ones wait behind it, in order.
    if (this.queue.length > 0) {
      this.enqueue({ packet: Buffer.from(packet), destination, onSent, onError, hopLimit });
      return;
    }
    const result = this.sendNow(packet, destination, hopLimit);
    if (result === SEND_WOULD_BLOCK) {
      this.enqueue({ packet: Buffer.from(packet), destination, onSent, onError, hopLimit });
    } else if (result instanceof Error) {
      onError(result);
    } else {
      this.sent(result, onSent);
    }
  }

  /**
   * Hands a sent packet its time. When its transmit stamp was asked for and had not come (the packet
   * waits, as for address resolution), the time read before sendmsg goes now, so that the probe's
   * timeout starts, and the stamp, once the packet leaves, is handed to onSent a second time: the
   * probe's RTT then runs from when the packet left, not from when it began to wait.
   */
  private sent(sentAt: bigint, onSent: (sentAt: bigint) => void): void {
    // Read before onSent, which may send again (and so rewrite sendTimes).
    const key = this.sendTimes[1] === STAMP_MISSED ? Number(this.sendTimes[2]) : -1;
    onSent(sentAt);
    if (key >= 0) this.awaitStamp(key, { onSent, sentAt });
    // This send may have read an earlier packet's late stamp off the error queue.
    if (this.awaitedStamps.size > 0) this.takeLateStamps();
  }

  /** The turn's sends are over: IP_RECVERR off again, the late stamps the error queue held handed on. */
  private readonly endSends = (): void => {
    this.batchOpen = false;
    if (this.closed) return;
    this.socket.endSends();
    if (this.awaitedStamps.size > 0) this.takeLateStamps();
  };

  private awaitStamp(key: number, awaited: AwaitedStamp): void {
    if (this.awaitedStamps.size >= LATE_STAMPS_AWAITED) {
      const oldest = this.awaitedStamps.keys().next().value!;
      this.awaitedStamps.delete(oldest);
      this.stampsMissed.transmit++;
    }
    this.awaitedStamps.set(key, awaited);
  }

  /** Hands the late stamps the addon holds to their sends; gives up on sends waiting too long. */
  private takeLateStamps(): void {
    const pairs = this.lateStampPairs;
    for (;;) {
      const count = this.socket.takeLateStamps(pairs);
      for (let i = 0; i < count; i++) {
        const key = Number(pairs[2 * i]!);
        const awaited = this.awaitedStamps.get(key);
        if (awaited === undefined) continue;
        this.awaitedStamps.delete(key);
        this.lateStamps++;
        awaited.onSent(pairs[2 * i + 1]!);
      }
      if (count < LATE_STAMP_PAIRS) break;
    }
    if (this.awaitedStamps.size === 0) return;
    const now = this.now();
    // Oldest first (a Map keeps insertion order): stop at the first still within its wait.
    for (const [key, awaited] of this.awaitedStamps) {
      if (now - awaited.sentAt < LATE_STAMP_WAIT_NS) break;
      this.awaitedStamps.delete(key);
      this.stampsMissed.transmit++;
    }
  }

  /** The send time, SEND_WOULD_BLOCK, or the error of this one packet. */
  private sendNow(
    packet: Buffer,
    destination: string,
    hopLimit: number | undefined,
  ): bigint | Error | typeof SEND_WOULD_BLOCK {
    try {
      if (hopLimit !== undefined && !this.headerIncluded && hopLimit !== this.currentHopLimit) {
        if (this.family === 6) this.socket.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, hopLimit);
        else this.socket.setOption(IPPROTO_IP, IP_TTL, hopLimit);
        this.currentHopLimit = hopLimit;
      }
    } catch (error) {
      return error as Error;
    }
    if (this.batchesSends && !this.batchOpen) {
      this.batchOpen = true;
      queueMicrotask(this.endSends);
    }
    const result = this.socket.send(packet, packet.length, destination, this.sendTimes);
    if (result === 0) return this.sendTimes[0]!;
    return result === SEND_WOULD_BLOCK ? SEND_WOULD_BLOCK : (result as Error);
  }

  private enqueue(send: QueuedSend): void {
    this.queue.push(send);
    if (this.queue.length === 1) this.socket.watchWritable(true);
  }

  /** The socket has room again: sends what waits, in order, until it is full again. */
  private flush(): void {
    while (this.queue.length > 0 && !this.closed) {
      const next = this.queue[0]!;
      const result = this.sendNow(next.packet, next.destination, next.hopLimit);
      if (result === SEND_WOULD_BLOCK) return;
      this.queue.shift();
      if (result instanceof Error) next.onError(result);
      else this.sent(result, next.onSent);
    }
    if (!this.closed) this.socket.watchWritable(false);
  }

  /** Idempotent. Packets still waiting are dropped without a callback, as raw-socket's close does. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.awaitedStamps.clear();
    this.socket.close();
  }
}
