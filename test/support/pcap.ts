// Reads what the tests capture with `tcpdump -w FILE --time-stamp-precision=nano` on an Ethernet
// (veth) interface or a TUN device (a delay link's end: raw IP, no link header): the pcap format
// (libpcap's savefile: a 24-byte header, then per packet a 16-byte record header and the captured
// bytes), and the ICMP echo messages and TCP handshakes in it.

/** One ICMP or ICMPv6 echo request or reply seen on the wire. */
export interface WireEcho {
  family: 4 | 6;
  kind: 'request' | 'reply';
  identifier: number;
  sequence: number;
  /** Bytes of echo payload (after the 8-byte ICMP header). */
  payloadBytes: number;
  /** Capture time, nanoseconds since the epoch (CLOCK_REALTIME). */
  at: bigint;
}

const NANO_MAGIC = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const ETHERNET_HEADER = 14;

/**
 * Every frame of a nanosecond pcap with its capture time, in capture order. A raw IP capture's
 * packets get a made-up Ethernet header (zero addresses, the EtherType of their IP version), so
 * that every reader below sees one shape.
 */
function readFrames(file: Buffer): Array<{ at: bigint; frame: Buffer }> {
  if (file.length < 24) throw new Error(`pcap: ${file.length} bytes, shorter than its header`);
  const little = file.readUInt32LE(0) === NANO_MAGIC;
  if (!little && file.readUInt32BE(0) !== NANO_MAGIC) {
    throw new Error('pcap: not a nanosecond-precision capture (tcpdump --time-stamp-precision=nano)');
  }
  const u32 = (at: number): number => (little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const linkType = u32(20);
  if (linkType !== LINKTYPE_ETHERNET && linkType !== LINKTYPE_RAW) {
    throw new Error(`pcap: link type ${linkType}, expected Ethernet (1) or raw IP (101)`);
  }
  const frames: Array<{ at: bigint; frame: Buffer }> = [];
  for (let at = 24; at + 16 <= file.length;) {
    const time = BigInt(u32(at)) * 1_000_000_000n + BigInt(u32(at + 4));
    const captured = u32(at + 8);
    const bytes = file.subarray(at + 16, at + 16 + captured);
    frames.push({ at: time, frame: linkType === LINKTYPE_RAW ? asEthernet(bytes) : bytes });
    at += 16 + captured;
  }
  return frames;
}

function asEthernet(packet: Buffer): Buffer {
  const header = Buffer.alloc(ETHERNET_HEADER);
  header.writeUInt16BE(packet.length > 0 && packet[0]! >> 4 === 6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([header, packet]);
}

/** Every echo request and reply of a nanosecond pcap, in capture order. */
export function readEchoes(file: Buffer): WireEcho[] {
  const echoes: WireEcho[] = [];
  for (const { at, frame } of readFrames(file)) {
    const echo = echoOf(frame);
    if (echo) echoes.push({ ...echo, at });
  }
  return echoes;
}

function echoOf(frame: Buffer): Omit<WireEcho, 'at'> | undefined {
  if (frame.length < ETHERNET_HEADER + 40) return undefined;
  const etherType = frame.readUInt16BE(12);
  let family: 4 | 6;
  let icmp: number;
  let end: number;
  if (etherType === 0x0800 && frame[ETHERNET_HEADER + 9] === 1) {
    family = 4;
    icmp = ETHERNET_HEADER + (frame[ETHERNET_HEADER]! & 0x0f) * 4;
    end = ETHERNET_HEADER + frame.readUInt16BE(ETHERNET_HEADER + 2);
  } else if (etherType === 0x86dd && frame[ETHERNET_HEADER + 6] === 58) {
    family = 6;
    icmp = ETHERNET_HEADER + 40;
    end = icmp + frame.readUInt16BE(ETHERNET_HEADER + 4);
  } else {
    return undefined;
  }
  const type = frame[icmp];
  const [request, reply] = family === 4 ? [8, 0] : [128, 129];
  if (type !== request && type !== reply) return undefined;
  return {
    family,
    kind: type === request ? 'request' : 'reply',
    identifier: frame.readUInt16BE(icmp + 4),
    sequence: frame.readUInt16BE(icmp + 6),
    payloadBytes: Math.min(end, frame.length) - icmp - 8,
  };
}

/** RTTs in seconds of the requests with `payloadBytes` of one family, in sending order (null: no reply seen). */
export function wireRtts(
  echoes: readonly WireEcho[],
  family: 4 | 6,
  payloadBytes: number,
): Array<number | null> {
  const key = (e: WireEcho): string => `${e.identifier}/${e.sequence}`;
  const replies = new Map<string, WireEcho>();
  for (const e of echoes)
    if (e.family === family && e.kind === 'reply' && e.payloadBytes === payloadBytes) replies.set(key(e), e);
  return echoes
    .filter((e) => e.family === family && e.kind === 'request' && e.payloadBytes === payloadBytes)
    .map((request) => {
      const reply = replies.get(key(request));
      return reply ? Number(reply.at - request.at) / 1e9 : null;
    });
}

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

/** Where a frame's TCP header starts, and its IP family; undefined for anything but TCP. */
function tcpOf(frame: Buffer): { family: 4 | 6; at: number } | undefined {
  if (frame.length < ETHERNET_HEADER + 40) return undefined;
  const etherType = frame.readUInt16BE(12);
  if (etherType === 0x0800 && frame[ETHERNET_HEADER + 9] === 6) {
    return { family: 4, at: ETHERNET_HEADER + (frame[ETHERNET_HEADER]! & 0x0f) * 4 };
  }
  if (etherType === 0x86dd && frame[ETHERNET_HEADER + 6] === 6)
    return { family: 6, at: ETHERNET_HEADER + 40 };
  return undefined;
}

/**
 * Knock RTTs on the wire, in seconds, keyed `FAMILY/SOURCE_PORT/SEQUENCE` of each SYN: the time from
 * the SYN to the SYN-ACK or RST that acknowledges it (its ack is the SYN's sequence + 1).
 */
export function wireKnockRtts(file: Buffer): Map<string, number> {
  const syns = new Map<string, bigint>();
  const rtts = new Map<string, number>();
  for (const { at, frame } of readFrames(file)) {
    const tcp = tcpOf(frame);
    if (!tcp || frame.length < tcp.at + 20) continue;
    const flags = frame[tcp.at + 13]!;
    const sourcePort = frame.readUInt16BE(tcp.at);
    const destinationPort = frame.readUInt16BE(tcp.at + 2);
    if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
      syns.set(`${tcp.family}/${sourcePort}/${frame.readUInt32BE(tcp.at + 4)}`, at);
    } else if (flags & TCP_ACK && flags & (TCP_SYN | TCP_RST)) {
      const sequence = (frame.readUInt32BE(tcp.at + 8) - 1) >>> 0;
      const key = `${tcp.family}/${destinationPort}/${sequence}`;
      const sentAt = syns.get(key);
      if (sentAt !== undefined && !rtts.has(key)) rtts.set(key, Number(at - sentAt) / 1e9);
    }
  }
  return rtts;
}

/** One traceroute probe on the wire: its hop limit, and when and from whom its answer came. */
export interface WireProbe {
  family: 4 | 6;
  protocol: 'udp' | 'tcp' | 'icmp';
  /** IP TTL / IPv6 hop limit as sent. */
  ttl: number;
  sentAt: bigint;
  answer?: { at: bigint; rtt: number };
}

/** An IP packet of a frame: family, the TTL / hop limit, the protocol and where its payload starts. */
function ipOf(
  frame: Buffer,
  at = ETHERNET_HEADER,
): { family: 4 | 6; ttl: number; protocol: number; payload: number } | undefined {
  if (frame.length < at + 20) return undefined;
  const version = frame[at]! >> 4;
  if (version === 4)
    return {
      family: 4,
      ttl: frame[at + 8]!,
      protocol: frame[at + 9]!,
      payload: at + (frame[at]! & 0x0f) * 4,
    };
  if (version === 6 && frame.length >= at + 40)
    return { family: 6, ttl: frame[at + 7]!, protocol: frame[at + 6]!, payload: at + 40 };
  return undefined;
}

/**
 * What tells one probe apart, as the probe carries it and as an ICMP error quotes it (the quote holds
 * the probe's IP header and at least 8 bytes after it): UDP its first 8 bytes (ports, length and the
 * checksum that Paris traceroute sets per probe), TCP its ports and sequence number, ICMP its
 * identifier and sequence.
 */
function probeKey(
  frame: Buffer,
  ip: { family: 4 | 6; protocol: number; payload: number },
): string | undefined {
  const at = ip.payload;
  if (frame.length < at + 8) return undefined;
  if (ip.protocol === 17) return `${ip.family}/udp/${frame.toString('hex', at, at + 8)}`;
  if (ip.protocol === 6)
    return `${ip.family}/tcp/${frame.readUInt16BE(at)}/${frame.readUInt16BE(at + 2)}/${frame.readUInt32BE(at + 4)}`;
  if (ip.protocol === 1 || ip.protocol === 58)
    return `${ip.family}/icmp/${frame.readUInt16BE(at + 4)}/${frame.readUInt16BE(at + 6)}`;
  return undefined;
}

const PROTOCOL_NAMES: Record<number, WireProbe['protocol']> = { 17: 'udp', 6: 'tcp', 1: 'icmp', 58: 'icmp' };

/**
 * Every traceroute probe of a nanosecond pcap of the client's interface (UDP datagrams, TCP SYNs, ICMP
 * echo requests), in sending order, each with the first answer that matches it: an ICMP error quoting
 * it, the echo reply with its identifier and sequence, or the SYN-ACK or RST acknowledging its sequence.
 */
export function readTraceProbes(file: Buffer): WireProbe[] {
  const probes = new Map<string, WireProbe>();
  const answer = (key: string | undefined, at: bigint): void => {
    const probe = key === undefined ? undefined : probes.get(key);
    if (probe && !probe.answer) probe.answer = { at, rtt: Number(at - probe.sentAt) / 1e9 };
  };
  for (const { at, frame } of readFrames(file)) {
    const ip = ipOf(frame);
    if (!ip || frame.length < ip.payload + 8) continue;
    const { payload } = ip;
    if (ip.protocol === 17) {
      probes.set(probeKey(frame, ip)!, {
        family: ip.family,
        protocol: PROTOCOL_NAMES[ip.protocol]!,
        ttl: ip.ttl,
        sentAt: at,
      });
    } else if (ip.protocol === 6) {
      const flags = frame[payload + 13]!;
      if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
        probes.set(probeKey(frame, ip)!, {
          family: ip.family,
          protocol: PROTOCOL_NAMES[ip.protocol]!,
          ttl: ip.ttl,
          sentAt: at,
        });
      } else if (flags & TCP_ACK && flags & (TCP_SYN | TCP_RST)) {
        const sequence = (frame.readUInt32BE(payload + 8) - 1) >>> 0;
        answer(
          `${ip.family}/tcp/${frame.readUInt16BE(payload + 2)}/${frame.readUInt16BE(payload)}/${sequence}`,
          at,
        );
      }
    } else if (ip.protocol === 1 || ip.protocol === 58) {
      const type = frame[payload]!;
      const [request, reply] = ip.family === 4 ? [8, 0] : [128, 129];
      const isError = ip.family === 4 ? type === 3 || type === 11 : type === 1 || type === 3;
      if (type === request)
        probes.set(probeKey(frame, ip)!, {
          family: ip.family,
          protocol: PROTOCOL_NAMES[ip.protocol]!,
          ttl: ip.ttl,
          sentAt: at,
        });
      else if (type === reply) answer(probeKey(frame, ip), at);
      else if (isError) {
        const quoted = ipOf(frame, payload + 8);
        if (quoted) answer(probeKey(frame, quoted), at);
      }
    }
  }
  return [...probes.values()];
}
