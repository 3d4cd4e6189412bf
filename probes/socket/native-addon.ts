// The one door to native/raw_socket.cc (built by `npm ci` through node-gyp into build/Release): its typed
// face, and the loading that says why it failed rather than throwing. Linux only; elsewhere, or when
// the build failed, the transports fall back to the `raw-socket` addon (open-transport.ts).
import * as path from 'node:path';

import type { IpFamily } from '../packet';

/** A non-blocking raw socket (socket(2) with SOCK_RAW | SOCK_NONBLOCK). Methods throw with an errno `code`. */
export interface NativeRawSocket {
  /** setsockopt(2): an int value, or the bytes of a struct. */
  setOption(level: number, name: number, value: number | Buffer): void;
  /** getsockopt(2) of an int option. */
  getOption(level: number, name: number): number;
  /** SO_ATTACH_FILTER: `program` holds classic BPF instructions, 8 bytes each (struct sock_filter). */
  attachFilter(program: Buffer): void;
  /** Asks the kernel for timestamps; returns the TIMESTAMPS_* bits it accepted. */
  enableTimestamps(): number;
  /**
   * sendmsg(2) of packet[0, length). Returns 0, SEND_WOULD_BLOCK (EAGAIN: the socket buffer is full),
   * or the errno's Error. On success times[0] is when the packet left (process.hrtime domain) and
   * times[1] 1 when that is the kernel's transmit stamp (asked for within a budget per second, see
   * native/raw_socket.cc), 0 when it is the time read just before sendmsg because no stamp was asked for,
   * STAMP_MISSED when one was asked for and had not come: times[2] (when times has 3 elements) is then
   * the key under which takeLateStamps gives the stamp once the packet leaves.
   */
  send(packet: Buffer, length: number, address: string, times: BigInt64Array): number | Error;
  /**
   * Moves the transmit stamps that came after their send returned (the packet waited, as for address
   * resolution) into `out` as (key, time) pairs; returns how many pairs. At most 256 are kept.
   */
  takeLateStamps(out: BigInt64Array): number;
  /**
   * Ends a batch of sends: with reportSendErrors, IP_RECVERR (set by the batch's first send) is cleared
   * once the error queue is read (late stamps kept, other entries counted for drainErrors).
   */
  endSends(): void;
  /**
   * recvmmsg(2) of up to lengths.length datagrams, datagram i at buffer[i * slotBytes] with its source
   * at addresses[i * 16]. Returns how many (0: none queued) or the errno's Error. times[i] is its receive time
   * (process.hrtime domain), details[2i] its IPv6 hop limit or -1, details[2i + 1] 1 for a kernel stamp.
   */
  receive(
    buffer: Buffer,
    slotBytes: number,
    lengths: Int32Array,
    times: BigInt64Array,
    details: Int32Array,
    addresses: Buffer,
  ): number | Error;
  /**
   * Empties the error queue and clears a pending socket error; returns the entries other than transmit
   * stamps read since the last call.
   */
  drainErrors(): number;
  /**
   * Calls onReady from the event loop: events & READY_READABLE (datagrams), READY_ERRORS (error-queue
   * entries or a pending error: drainErrors), or READY_WRITABLE while watched.
   */
  startReading(onReady: (error: Error | null, events: number) => void): void;
  watchWritable(on: boolean): void;
  /**
   * IPv4: IP_RECVERR only while sends run, from a batch's first send to endSends (so that ENOBUFS is
   * reported), not for good (so that ICMP errors quoting anyone's packets are not queued on the socket
   * between batches). Throws when refused.
   */
  reportSendErrors(): void;
  /** Idempotent. */
  close(): void;
}

export interface NativeAddon {
  RawSocket: new (family: IpFamily, protocol: number) => NativeRawSocket;
}

/** What send() returns when the socket buffer is full (EAGAIN). */
export const SEND_WOULD_BLOCK = 11;

/** Bits of NativeRawSocket.enableTimestamps(). */
/** times[1] of send(): a transmit stamp was asked for and had not come; the time read before sendmsg stands. */
export const STAMP_MISSED = 2n;
export const TIMESTAMPS_RECEIVE = 1;
export const TIMESTAMPS_SEND = 2;
/** Bits of the `events` handed to onReady (libuv's UV_READABLE, UV_WRITABLE, UV_PRIORITIZED). */
export const READY_READABLE = 1;
export const READY_WRITABLE = 2;
export const READY_ERRORS = 8;

/** dist/probes/socket/ -> the package root, where node-gyp builds. */
const ADDON_FILE = path.resolve(__dirname, '..', '..', '..', 'build', 'Release', 'netdiag_raw_socket.node');

/**
 * The addon, or the Error that says why it cannot be used here (node-gyp builds it on Linux only:
 * elsewhere the file is missing).
 */
export function loadNativeAddon(file: string = ADDON_FILE): NativeAddon | Error {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as NativeAddon;
  } catch (error) {
    return error as Error;
  }
}
