// IP address text <-> bytes, without regexes or intermediate arrays: these run for every
// encoded and decoded packet.
import { PacketArgumentError, PacketEncodeError, type PacketLayer, truncatedError } from './errors';
import { assertIndex, checkRoom } from './validate';

export type IpFamily = 4 | 6;

const CHAR_DOT = 0x2e;
const CHAR_COLON = 0x3a;
const CHAR_0 = 0x30;
const CHAR_9 = 0x39;

// Scratch space, safe to share because parsing is synchronous: the parsed IPv6 groups (so that
// a bad address never leaves a half-written buffer behind), and canonicalAddress's bytes.
const groups = new Uint16Array(8);
const scratch = Buffer.alloc(16);

/** Dotted quad in addr[start, end) as an unsigned 32-bit value, or -1 if it is not one. */
function parseIpv4(addr: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = addr.charCodeAt(i);
    if (c === CHAR_DOT) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= CHAR_0 && c <= CHAR_9) {
      // Leading zeros are rejected, as glibc's inet_pton and net.isIP do: '010' could mean octal.
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - CHAR_0);
      if (octet > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

function hexDigitValue(c: number): number {
  if (c >= CHAR_0 && c <= CHAR_9) return c - CHAR_0;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

const INVALID_IPV6 = 'is not a valid IPv6 address';
const ZONE_ID = 'has a zone id; zone ids are not supported (give the zone to the socket, not the packet)';

/** Parses an IPv6 literal into `groups`. Returns undefined on success, else why it failed. */
function parseIpv6(addr: string): string | undefined {
  const len = addr.length;
  if (addr.indexOf('%') !== -1) return ZONE_ID;
  if (len < 2) return INVALID_IPV6;
  let count = 0;
  let gap = -1; // index in `groups` where '::' stands
  let i = 0;
  if (addr.charCodeAt(0) === CHAR_COLON) {
    if (addr.charCodeAt(1) !== CHAR_COLON) return INVALID_IPV6;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    let value = 0;
    let j = i;
    for (; j < len; j++) {
      const digit = hexDigitValue(addr.charCodeAt(j));
      if (digit < 0) break;
      value = value * 16 + digit;
    }
    if (j === i) return INVALID_IPV6;
    if (j < len && addr.charCodeAt(j) === CHAR_DOT) {
      // An embedded IPv4 address must be last and takes two groups.
      if (count > 6) return INVALID_IPV6;
      const v4 = parseIpv4(addr, i, len);
      if (v4 < 0) return INVALID_IPV6;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (j - i > 4 || count === 8) return INVALID_IPV6;
    groups[count++] = value;
    if (j === len) break;
    if (addr.charCodeAt(j) !== CHAR_COLON) return INVALID_IPV6;
    if (addr.charCodeAt(j + 1) === CHAR_COLON) {
      if (gap !== -1) return INVALID_IPV6;
      gap = count;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === len) return INVALID_IPV6; // trailing single ':'
    }
  }
  if (gap === -1) {
    return count === 8 ? undefined : INVALID_IPV6;
  }
  // '::' stands for at least one zero group.
  if (count > 7) return INVALID_IPV6;
  const tail = count - gap;
  groups.copyWithin(8 - tail, gap, count);
  groups.fill(0, gap, 8 - tail);
  return undefined;
}

function badAddress(layer: PacketLayer, field: string, addr: unknown, why: string): PacketEncodeError {
  const subject = field === '' ? '' : `${field} `;
  return new PacketEncodeError(
    'ERR_PACKET_BAD_ADDRESS',
    layer,
    `${layer}: ${subject}'${String(addr)}' ${why}`,
  );
}

/**
 * @internal An IPv4 literal as an unsigned 32-bit value. Errors name `layer` and `field` so
 * that an encoder can report which of its addresses is bad.
 */
export function ipv4AddressValue(addr: string, layer: PacketLayer, field: string): number {
  const value = typeof addr === 'string' ? parseIpv4(addr, 0, addr.length) : -1;
  if (value < 0) throw badAddress(layer, field, addr, 'is not a valid IPv4 address');
  return value;
}

/** @internal Writes an IPv4 literal as 4 bytes; the caller has checked that they fit. */
export function writeIpv4Address(
  addr: string,
  buf: Buffer,
  offset: number,
  layer: PacketLayer,
  field: string,
): void {
  buf.writeUInt32BE(ipv4AddressValue(addr, layer, field), offset);
}

/** @internal Writes an IPv6 literal as 16 bytes; the caller has checked that they fit. */
export function writeIpv6Address(
  addr: string,
  buf: Buffer,
  offset: number,
  layer: PacketLayer,
  field: string,
): void {
  const failure = typeof addr === 'string' ? parseIpv6(addr) : INVALID_IPV6;
  if (failure !== undefined) throw badAddress(layer, field, addr, failure);
  for (let g = 0; g < 8; g++) {
    buf.writeUInt16BE(groups[g]!, offset + 2 * g);
  }
}

/** 4 for a dotted-quad IPv4 literal, 6 for an IPv6 literal, 0 otherwise (like net.isIP, except that zone ids give 0). */
export function ipFamily(addr: string): IpFamily | 0 {
  if (typeof addr !== 'string') return 0;
  if (parseIpv4(addr, 0, addr.length) >= 0) return 4;
  if (parseIpv6(addr) === undefined) return 6;
  return 0;
}

export function ipv4ToBytes(addr: string, buf: Buffer, offset: number): void {
  checkRoom(buf, offset, 4, 'address', 'IPv4 address');
  writeIpv4Address(addr, buf, offset, 'address', '');
}

export function ipv4FromBytes(buf: Buffer, offset: number): string {
  assertIndex(offset, 'offset');
  if (buf.length - offset < 4)
    throw truncatedError('address', 'IPv4 address', 4, offset, buf.length - offset);
  return `${buf[offset]!}.${buf[offset + 1]!}.${buf[offset + 2]!}.${buf[offset + 3]!}`;
}

/** Accepts '::' compression, an embedded IPv4 tail ('::ffff:1.2.3.4') and any letter case; no zone ids. */
export function ipv6ToBytes(addr: string, buf: Buffer, offset: number): void {
  checkRoom(buf, offset, 16, 'address', 'IPv6 address');
  writeIpv6Address(addr, buf, offset, 'address', '');
}

/**
 * RFC 5952 text form, exactly as glibc's inet_ntop prints it: lowercase, no leading zeros,
 * the longest run of two or more zero groups (the first of equal runs) as '::', and the last
 * 32 bits as a dotted quad for IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
 * addresses.
 */
export function ipv6FromBytes(buf: Buffer, offset: number): string {
  assertIndex(offset, 'offset');
  if (buf.length - offset < 16)
    throw truncatedError('address', 'IPv6 address', 16, offset, buf.length - offset);
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const o = offset + 2 * g;
    if (buf[o] === 0 && buf[o + 1] === 0) {
      if (runStart < 0) runStart = g;
      if (g - runStart + 1 > bestLength) {
        bestStart = runStart;
        bestLength = g - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLength < 2) bestStart = -1;

  if (bestStart === 0) {
    if (bestLength === 6) return `::${ipv4FromBytes(buf, offset + 12)}`;
    if (bestLength === 5 && buf[offset + 10] === 0xff && buf[offset + 11] === 0xff) {
      return `::ffff:${ipv4FromBytes(buf, offset + 12)}`;
    }
  }

  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      // The ':' before the next group (or the trailing one) completes the '::'.
      text += ':';
      g += bestLength - 1;
      continue;
    }
    if (g !== 0) text += ':';
    const o = offset + 2 * g;
    text += ((buf[o]! << 8) | buf[o + 1]!).toString(16);
  }
  if (bestStart !== -1 && bestStart + bestLength === 8) text += ':';
  return text;
}

/** A new 4- or 16-byte Buffer holding the address. */
export function addressToBytes(addr: string): Buffer {
  switch (ipFamily(addr)) {
    case 4: {
      const buf = Buffer.allocUnsafe(4);
      writeIpv4Address(addr, buf, 0, 'address', '');
      return buf;
    }
    case 6: {
      const buf = Buffer.allocUnsafe(16);
      writeIpv6Address(addr, buf, 0, 'address', '');
      return buf;
    }
    default:
      throw badAddress('address', '', addr, unparsableReason(addr));
  }
}

function unparsableReason(addr: string): string {
  return typeof addr === 'string' && addr.indexOf('%') !== -1 ? ZONE_ID : 'is not a valid IP address';
}

export function addressFromBytes(buf: Buffer, offset: number, family: IpFamily): string {
  if (family === 4) return ipv4FromBytes(buf, offset);
  if (family === 6) return ipv6FromBytes(buf, offset);
  throw new PacketArgumentError(`family must be 4 or 6, got ${String(family)}`);
}

/** Canonical text form of an IP literal (round trip through bytes). */
export function canonicalAddress(addr: string): string {
  switch (ipFamily(addr)) {
    case 4:
      writeIpv4Address(addr, scratch, 0, 'address', '');
      return ipv4FromBytes(scratch, 0);
    case 6:
      writeIpv6Address(addr, scratch, 0, 'address', '');
      return ipv6FromBytes(scratch, 0);
    default:
      throw badAddress('address', '', addr, unparsableReason(addr));
  }
}
