export type { BindOptions, FamilyBinding } from './bind';
export { bindingFor } from './bind';
export type {
  EchoExpectation,
  EchoReplyInfo,
  IcmpErrorInfo,
  IcmpSocketStats,
  QuotedError,
  QuotedErrorHandler,
  QuotedErrorOutcome,
} from './icmp-socket';
export { IcmpSocket } from './icmp-socket';
export { IdentifierPool } from './identifier-pool';
export type { KernelDropsOptions, KernelDropsTotal, ProcFiles, RawSocketLine } from './kernel-drops';
export { KernelDrops, ownSocketInodes, parseProcNetRaw } from './kernel-drops';
export type {
  RawPacketHandler,
  RawTransport,
  RawTransportFactory,
  RawTransportOptions,
  StampsMissed,
  TimestampSource,
} from './raw-transport';
export { openRawTransport } from './raw-transport';
export type { SharedSocket } from './socket-registry';
export type { SocketPinsOptions } from './socket-pins';
export { SocketPins } from './socket-pins';
export { SocketRegistry, sharedSockets } from './socket-registry';
export type { PortReservation } from './port-reservation';
export { reserveTcpPort } from './port-reservation';
export { sourceAddressFor } from './source-address';
export type { TcpAnswer, TcpExpectation, TcpSocketStats } from './tcp-socket';
export { TcpSocket, acquireTcpSocket } from './tcp-socket';
export { FamilySockets } from './family-sockets';
export type { UdpExpectation, UdpSocketStats } from './udp-socket';
export { UdpSocket, acquireUdpSocket } from './udp-socket';
export type { UdpPortReservation } from './udp-port-reservation';
export { reserveUdpPort } from './udp-port-reservation';
