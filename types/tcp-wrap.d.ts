// Minimal typings for Node's internal `tcp_wrap` binding (process.binding('tcp_wrap')), of which
// probes/socket/port-reservation.ts uses a handle that is bound but never listens or connects.
declare namespace NodeJS {
  interface TcpWrapAddress {
    address?: string;
    family?: string;
    port?: number;
  }

  interface TcpWrapHandle {
    /** 0, or a negative errno (-98 EADDRINUSE...). libuv sets SO_REUSEADDR before bind(2). */
    bind(address: string, port: number): number;
    bind6(address: string, port: number, flags: number): number;
    getsockname(out: TcpWrapAddress): number;
    close(callback?: () => void): void;
    readonly fd: number;
  }

  interface TcpWrapBinding {
    TCP: new (type: number) => TcpWrapHandle;
    constants: { SOCKET: number; SERVER: number; UV_TCP_IPV6ONLY: number };
  }

  interface Process {
    binding(name: 'tcp_wrap'): TcpWrapBinding;
  }
}
