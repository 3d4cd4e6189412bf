/** IANA protocol numbers: the IPv4 protocol field and the IPv6 next-header field. */
export const IpProtocol = {
  Icmp: 1,
  Tcp: 6,
  Udp: 17,
  Icmpv6: 58,
} as const;
