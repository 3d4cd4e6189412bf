// Minimal typings for the parts of `raw-socket` this project uses (1.8.1, pinned in package.json: the
// internals typed here are checked by test/probes/socket/raw-socket-assumptions.test.ts).
declare module 'raw-socket' {
  import { EventEmitter } from 'node:events';

  export const AddressFamily: { IPv4: 1; IPv6: 2 };
  export const Protocol: { None: 0; ICMP: 1; TCP: 6; UDP: 17; ICMPv6: 58 };
  export const SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number; IPPROTO_IPV6: number };
  export const SocketOption: Record<string, number>;

  /** The native handle: `recv` calls recvfrom(2) once and throws on EAGAIN. */
  export interface SocketWrap extends EventEmitter {
    recv(buffer: Buffer, callback: (buffer: Buffer, bytes: number, source: string) => void): void;
    /** Calls sendto(2) at once; throws on failure (EAGAIN included), else calls back synchronously. */
    send(
      buffer: Buffer,
      offset: number,
      length: number,
      address: string,
      callback: (bytes: number) => void,
    ): void;
  }

  export interface SocketOptions {
    protocol?: number;
    addressFamily?: number;
    bufferSize?: number;
  }

  export class Socket extends EventEmitter {
    wrap: SocketWrap;
    /** Sends waiting for the socket to become writable. */
    requests: unknown[];
    buffer: Buffer;
    send(
      buffer: Buffer,
      offset: number,
      length: number,
      address: string,
      beforeCallback: (() => void) | null,
      afterCallback: (error: Error | null, bytes: number) => void,
    ): this;
    setOption(level: number, option: number, value: number): void;
    setOption(level: number, option: number, value: Buffer, length: number): void;
    pauseRecv(): this;
    resumeRecv(): this;
    close(): this;
  }

  export function createSocket(options?: SocketOptions): Socket;
}
