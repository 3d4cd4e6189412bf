import { ProbeError } from '../errors';
import type { RawTransportOptions } from './raw-transport';
import {
  ICMP6_FILTER,
  ICMP_FILTER,
  IP_HDRINCL,
  IPPROTO_ICMPV6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HDRINCL,
  SO_BINDTODEVICE,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOL_RAW,
  SOL_SOCKET,
} from './socket-options';

/** setsockopt(2) of an int value or of a struct's bytes, whichever addon calls it. */
export interface OptionSetter {
  setOption(level: number, name: number, value: number | Buffer): void;
}

const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const SEND_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The options every raw transport sets, whichever addon it is built on: buffer sizes, the device,
 * header inclusion, the ICMP type filter. Throws ERR_BIND_INTERFACE when the device cannot be bound.
 */
export function configureSocket(socket: OptionSetter, options: RawTransportOptions): void {
  const bufferBytes = options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES;
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
    try {
      socket.setOption(SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${options.interface}\0`));
    } catch (error) {
      throw new ProbeError(
        'ERR_BIND_INTERFACE',
        `cannot bind to interface "${options.interface}": ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  if (options.headerIncluded) {
    if (options.family === 6) socket.setOption(IPPROTO_IPV6, IPV6_HDRINCL, 1);
    else socket.setOption(IPPROTO_IP, IP_HDRINCL, 1);
  }
  if (options.acceptIcmpTypes) setIcmpFilter(socket, options);
}

function setIcmpFilter(socket: OptionSetter, options: RawTransportOptions): void {
  const accept = options.acceptIcmpTypes ?? [];
  if (options.family === 4) {
    // ICMP_FILTER: a 32-bit mask of the types to drop (types above 31 always pass).
    let drop = 0xffffffff;
    for (const type of accept) if (type < 32) drop &= ~(1 << type);
    const value = Buffer.alloc(4);
    value.writeUInt32LE(drop >>> 0);
    socket.setOption(SOL_RAW, ICMP_FILTER, value);
  } else {
    // ICMP6_FILTER: 256 bits, a set bit blocks that type.
    const value = Buffer.alloc(32, 0xff);
    for (const type of accept) {
      const word = type >> 5;
      value.writeUInt32LE((value.readUInt32LE(word * 4) & ~(1 << (type & 31))) >>> 0, word * 4);
    }
    socket.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, value);
  }
}
