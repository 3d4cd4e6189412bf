// Pure packet codecs: bytes in, values out, and back. No sockets, clocks or randomness.
export { PacketDecodeError, PacketEncodeError } from './errors';
export type { PacketErrorCode, PacketLayer } from './errors';

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

export { IpProtocol } from './protocol';

export { IPV4_HEADER_LENGTH, IPV4_MAX_HEADER_LENGTH, decodeIpv4Header, encodeIpv4Header } from './ipv4';
export type { Ipv4DecodeOptions, Ipv4Header, Ipv4HeaderInit } from './ipv4';

export { IPV6_HEADER_LENGTH, decodeIpv6Header, encodeIpv6Header } from './ipv6';
export type { Ipv6DecodeOptions, Ipv6Header, Ipv6HeaderInit } from './ipv6';

export {
  ICMP_HEADER_LENGTH,
  IcmpType,
  IcmpUnreachableCode,
  decodeIcmp,
  encodeIcmpEcho,
  encodeIcmpError,
} from './icmp';
export type {
  IcmpDecodeOptions,
  IcmpEcho,
  IcmpEchoInit,
  IcmpError,
  IcmpErrorInit,
  IcmpMessage,
  IcmpOther,
} from './icmp';

export {
  ICMPV6_HEADER_LENGTH,
  Icmpv6Type,
  Icmpv6UnreachableCode,
  decodeIcmpv6,
  encodeIcmpv6Echo,
  encodeIcmpv6Error,
} from './icmpv6';
export type { Icmpv6Addresses, Icmpv6DecodeOptions } from './icmpv6';

export {
  TCP_HEADER_LENGTH,
  TCP_MAX_HEADER_LENGTH,
  TcpFlag,
  TcpOptionKind,
  decodeTcpSegment,
  encodeTcpSegment,
  mssOf,
  mssOption,
  tcpChecksum,
  tcpFlagLetters,
} from './tcp';
export type { PseudoHeader, TcpDecodeOptions, TcpSegment, TcpSegmentFields } from './tcp';

export {
  UDP_HEADER_LENGTH,
  decodeUdpDatagram,
  encodeUdpDatagram,
  forceUdpChecksum,
  udpChecksum,
} from './udp';
export type { UdpDatagram, UdpDatagramFields, UdpDecodeOptions } from './udp';
