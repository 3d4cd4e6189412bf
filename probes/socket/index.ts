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
export type {
  RawPacketHandler,
  RawTransport,
  RawTransportFactory,
  RawTransportOptions,
} from './raw-transport';
export { openRawTransport } from './raw-transport';
export type { SharedSocket } from './socket-registry';
export { SocketRegistry, sharedSockets } from './socket-registry';
