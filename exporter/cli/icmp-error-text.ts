/**
 * How iputils' ping names an ICMP error in its `From ADDR icmp_seq=N …` lines (ping.c and
 * ping6_common.c, pr_icmph and print_icmp), so that our lines read the same as the tool people
 * know. Where iputils appends a value the error carries (the MTU of "Frag needed", the pointer of
 * "Parameter problem") the library's result does not hold it, and the text stops before it.
 */
export function icmpErrorText(family: 4 | 6, type: number, code: number): string {
  return family === 4 ? icmpv4Text(type, code) : icmpv6Text(type, code);
}

const DESTINATION_UNREACHABLE_V4: readonly string[] = [
  'Destination Net Unreachable',
  'Destination Host Unreachable',
  'Destination Protocol Unreachable',
  'Destination Port Unreachable',
  'Frag needed and DF set',
  'Source Route Failed',
  'Destination Net Unknown',
  'Destination Host Unknown',
  'Source Host Isolated',
  'Destination Net Prohibited',
  'Destination Host Prohibited',
  'Destination Net Unreachable for Type of Service',
  'Destination Host Unreachable for Type of Service',
  'Packet filtered',
  'Precedence Violation',
  'Precedence Cutoff',
];

const REDIRECT_V4: readonly string[] = [
  'Redirect Network',
  'Redirect Host',
  'Redirect Type of Service and Network',
  'Redirect Type of Service and Host',
];

function icmpv4Text(type: number, code: number): string {
  switch (type) {
    case 3:
      return DESTINATION_UNREACHABLE_V4[code] ?? `Dest Unreachable, Bad Code: ${code}`;
    case 4:
      return 'Source Quench';
    case 5:
      return REDIRECT_V4[code] ?? `Redirect, Bad Code: ${code}`;
    case 11:
      return code === 0
        ? 'Time to live exceeded'
        : code === 1
          ? 'Frag reassembly time exceeded'
          : `Time exceeded, Bad Code: ${code}`;
    case 12:
      return 'Parameter problem';
    default:
      return `Bad ICMP type: ${type}`;
  }
}

const DESTINATION_UNREACHABLE_V6: readonly string[] = [
  'No route',
  'Administratively prohibited',
  'Beyond scope of source address',
  'Address unreachable',
  'Port unreachable',
  'Source address failed ingress/egress policy',
  'Reject route to destination',
];

function icmpv6Text(type: number, code: number): string {
  switch (type) {
    case 1:
      return `Destination unreachable: ${DESTINATION_UNREACHABLE_V6[code] ?? `Unknown code ${code}`}`;
    case 2:
      return code === 0 ? 'Packet too big' : `Packet too big, code=${code}`;
    case 3:
      return `Time exceeded: ${code === 0 ? 'Hop limit' : code === 1 ? 'Defragmentation failure' : `code ${code}`}`;
    case 4: {
      const what = ['Wrong header field', 'Unknown header', 'Unknown option'][code] ?? `code ${code}`;
      return `Parameter problem: ${what}`;
    }
    default:
      return `unknown icmp type: ${type}`;
  }
}
