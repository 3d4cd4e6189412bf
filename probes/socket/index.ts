export type { BindOptions, FamilyBinding } from './bind';
export { bindingFor } from './bind';
export type { EchoExpectation, EchoReplyInfo, IcmpErrorInfo, IcmpSocketStats } from './icmp-socket';
export { IcmpSocket } from './icmp-socket';
export { IdentifierPool } from './identifier-pool';
export type {
  RawPacketHandler,
  RawTransport,
  RawTransportFactory,
  RawTransportOptions,
} from './raw-transport';
export { openRawTransport } from './raw-transport';
export { SocketRegistry, sharedSockets } from './socket-registry';
