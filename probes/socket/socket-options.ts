// Linux setsockopt(2) levels and options the raw transports set. raw-socket passes the numbers through to
// setsockopt unchanged and names only some of them (raw.SocketLevel, raw.SocketOption); the others (the
// FORCE variants, SOL_RAW, the ICMP filters, and IPV6_HDRINCL, which it names on Windows only) it does not
// know, so all are written here, from the kernel's uapi headers. Each one raw-socket also names is checked
// against it (test/probes/socket/raw-socket-assumptions.test.ts).

/** Levels (the `level` argument of setsockopt). */
export const SOL_SOCKET = 1;
export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const SOL_RAW = 255;

/** SOL_SOCKET options. The FORCE variants pass rmem_max / wmem_max, and need CAP_NET_ADMIN. */
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_BINDTODEVICE = 25;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;

/** IPPROTO_IP options. */
export const IP_TTL = 2;
export const IP_HDRINCL = 3;

/** IPPROTO_IPV6 options. */
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_HDRINCL = 36;

/** SOL_RAW option of a raw ICMP socket, and IPPROTO_ICMPV6 option of a raw ICMPv6 socket. */
export const ICMP_FILTER = 1;
export const ICMP6_FILTER = 1;

/** IPPROTO_IP option: report errors, ENOBUFS of a full egress queue included (raw_sendmsg hides it otherwise). */
export const IP_RECVERR = 11;
