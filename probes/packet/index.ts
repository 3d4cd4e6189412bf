// Pure packet codecs: bytes in, values out, and back. No sockets, clocks or randomness. Every codec
// has one shape, PacketCodec (codec.ts): encode(fields, buf?, offset?) → buf, encodingLength(fields),
// decode(buf, offset?, options?) → fields.
export { PacketArgumentError, PacketDecodeError, PacketEncodeError } from './errors';
export type { PacketErrorCode, PacketLayer } from './errors';

export type { DecodeOptions, PacketCodec, PseudoHeader } from './codec';

export { finishChecksum, internetChecksum, onesComplementSum } from './checksum';
export { pseudoHeaderSum } from './pseudo-header';

export {
  addressFromBytes,
  addressToBytes,
  canonicalAddress,
  ipFamily,
  ipv4FromBytes,
  ipv4ToBytes,
  ipv6FromBytes,
  ipv6ToBytes,
} from './address';
export type { IpFamily } from './address';

export { IcmpType, Icmpv6Type, IpProtocol, icmpProtocolOf } from './protocol';
export type { IpProtocolNumber } from './protocol';

export { ipHeader, withIpHeader } from './ip-header';
export type { IpHeader, IpHeaderDecodeOptions, IpHeaderFields } from './ip-header';

export { IPV4_HEADER_LENGTH, IPV4_MAX_HEADER_LENGTH, ipv4Header } from './ipv4';
export type { Ipv4DecodeOptions, Ipv4Header, Ipv4HeaderInit } from './ipv4';

export { IPV6_HEADER_LENGTH, ipv6Header } from './ipv6';
export type { Ipv6DecodeOptions, Ipv6Header, Ipv6HeaderInit } from './ipv6';

export { ICMP_HEADER_LENGTH, IcmpUnreachableCode, icmp } from './icmp';
export type {
  IcmpDecodeOptions,
  IcmpEcho,
  IcmpEchoInit,
  IcmpError,
  IcmpErrorInit,
  IcmpInit,
  IcmpMessage,
  IcmpOther,
} from './icmp';

export { ICMPV6_HEADER_LENGTH, Icmpv6UnreachableCode, icmpv6 } from './icmpv6';
export type { Icmpv6DecodeOptions, Icmpv6Init } from './icmpv6';

export {
  TCP_HEADER_LENGTH,
  TCP_MAX_HEADER_LENGTH,
  TcpFlag,
  TcpOptionKind,
  mssOf,
  mssOption,
  tcpChecksum,
  tcpFlagLetters,
  tcpSegment,
} from './tcp';
export type { TcpDecodeOptions, TcpSegment, TcpSegmentFields } from './tcp';

export { UDP_HEADER_LENGTH, forceUdpChecksum, udpChecksum, udpDatagram } from './udp';
export type { UdpDatagram, UdpDatagramFields, UdpDecodeOptions } from './udp';
