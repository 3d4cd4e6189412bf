import {
  ICMP_HEADER_LENGTH,
  icmp,
  icmpv6,
  IcmpType,
  Icmpv6Type,
  internetChecksum,
  ipHeader,
  icmpProtocolOf,
  PacketEncodeError,
  type IpFamily,
  type IpHeaderFields,
} from '../packet';
import { PacketArgumentError } from '../packet/errors';

export interface EchoRequestSpec {
  family: IpFamily;
  identifier: number;
  sequence: number;
  /** The ICMP payload: token first, then padding. */
  payload: Buffer;
  destination: string;
  /** When set, the packet starts with an IP header carrying this source (IP_HDRINCL). */
  source?: string;
  /** Only used in a header-included packet; otherwise the socket's hop limit applies. [64] */
  hopLimit?: number;
}

/** The bytes encodeEchoRequest writes: the ICMP message, behind its IP header when a source is bound. */
export function echoRequestLength(spec: EchoRequestSpec): number {
  const icmpLength = ICMP_HEADER_LENGTH + spec.payload.length;
  return spec.source === undefined
    ? icmpLength
    : ipHeader.encodingLength(headerOf(spec, spec.source)) + icmpLength;
}

/**
 * Writes an echo request, with its IP header when a source address is bound, at buf[offset] (into
 * a new Buffer when `buf` is absent) and returns the buffer: the codec shape of probes/packet.
 */
export function encodeEchoRequest(spec: EchoRequestSpec, buf?: Buffer, offset = 0): Buffer {
  const icmpLength = ICMP_HEADER_LENGTH + spec.payload.length;
  const source = spec.source;
  if (source === undefined) {
    const packet = buf ?? Buffer.allocUnsafe(offset + icmpLength);
    checkRoom(packet, offset, icmpLength, spec.family);
    return spec.family === 4
      ? writePlainIcmpEcho(spec, packet, offset, icmpLength)
      : writePlainIcmpv6Echo(spec, packet, offset);
  }
  const header = headerOf(spec, source);
  const headerLength = ipHeader.encodingLength(header);
  const packet = buf ?? Buffer.allocUnsafe(offset + headerLength + icmpLength);
  checkRoom(packet, offset, headerLength + icmpLength, spec.family);
  ipHeader.encode(header, packet, offset);
  const message = {
    identifier: spec.identifier,
    sequence: spec.sequence,
    payload: spec.payload,
  };
  if (spec.family === 4) {
    icmp.encode({ type: IcmpType.EchoRequest, ...message }, packet, offset + headerLength);
  } else {
    icmpv6.encode(
      { type: Icmpv6Type.EchoRequest, ...message, pseudo: { source, destination: spec.destination } },
      packet,
      offset + headerLength,
    );
  }
  return packet;
}

/** Checked here because the plain writers below skip the codecs' own checks. */
function checkRoom(packet: Buffer, offset: number, length: number, family: IpFamily): void {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new PacketArgumentError(`offset must be a non-negative integer, got ${String(offset)}`);
  }
  if (offset + length > packet.length) {
    throw new PacketEncodeError(
      'ERR_PACKET_BUFFER_TOO_SMALL',
      family === 4 ? 'icmpv4' : 'icmpv6',
      `echo request needs ${length} bytes at offset ${offset}, buffer has ${Math.max(0, packet.length - offset)}`,
    );
  }
}

function headerOf(spec: EchoRequestSpec, source: string): IpHeaderFields {
  return {
    family: spec.family,
    protocol: icmpProtocolOf(spec.family),
    hopLimit: spec.hopLimit ?? 64,
    source,
    destination: spec.destination,
    payloadLength: ICMP_HEADER_LENGTH + spec.payload.length,
  };
}

/**
 * The request of nearly every probe, an ICMP echo without IP header, written field by field: the
 * general encoder's validation and option objects cost more than the packet here, and this
 * encoder's inputs are the session's own (identifier and sequence are 16-bit by construction).
 */
function writePlainIcmpEcho(
  spec: EchoRequestSpec,
  packet: Buffer,
  offset: number,
  icmpLength: number,
): Buffer {
  writeEchoFields(spec, IcmpType.EchoRequest, packet, offset);
  packet.writeUInt16BE(internetChecksum(packet, offset, icmpLength), offset + 2);
  return packet;
}

/** The kernel fills in the checksum of what a raw ICMPv6 socket sends, and only it knows the source. */
function writePlainIcmpv6Echo(spec: EchoRequestSpec, packet: Buffer, offset: number): Buffer {
  writeEchoFields(spec, Icmpv6Type.EchoRequest, packet, offset);
  return packet;
}

/** Type, code, a zero checksum, identifier, sequence and payload. */
function writeEchoFields(spec: EchoRequestSpec, type: number, packet: Buffer, offset: number): void {
  packet[offset] = type;
  packet[offset + 1] = 0;
  packet.writeUInt16BE(0, offset + 2);
  packet.writeUInt16BE(spec.identifier & 0xffff, offset + 4);
  packet.writeUInt16BE(spec.sequence & 0xffff, offset + 6);
  spec.payload.copy(packet, offset + ICMP_HEADER_LENGTH);
}
