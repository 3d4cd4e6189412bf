// Classic BPF programs (SO_ATTACH_FILTER) for the raw sockets: a raw socket of a transport protocol
// gets a copy of every datagram of that protocol in its namespace, and a filter drops what the socket
// has no use for before it is queued, read and counted.
import { endianness } from 'node:os';

import type { IpFamily } from '../packet';

// Classic BPF (linux/filter.h): instruction classes, sizes, modes and operations used below.
const LD_H_ABS = 0x28;
const LD_B_ABS = 0x30;
const LD_B_IND = 0x50;
const LDX_B_MSH = 0xb1;
const ALU_AND_K = 0x54;
const JMP_JEQ_K = 0x15;
const JMP_JSET_K = 0x45;
const RET_K = 0x06;

const TCP_FLAGS_OFFSET = 13;
const RST = 0x04;
const SYN_ACK = 0x12;
/** Keep the whole datagram. */
const ACCEPT = 0xffffffff;

type Instruction = readonly [code: number, jt: number, jf: number, k: number];

/**
 * A filter for the raw TCP socket that lets through only what TcpSocket's receive path looks at:
 * segments with SYN and ACK, or with RST. A raw IPPROTO_TCP socket otherwise gets a copy of every
 * TCP segment of the namespace, a bulk transfer's hundreds of thousands a second included, each a
 * wake-up and a read for nothing. Out-of-range loads (a segment shorter than its flags) drop.
 *
 * An IPv4 raw socket sees the IP header (the filter skips it, and drops non-first fragments, which
 * carry no TCP header); an IPv6 one sees the segment from its first byte.
 */
export function tcpAnswerFilter(family: IpFamily): Buffer {
  const flagsTest: Instruction[] =
    family === 4
      ? [
          [LD_H_ABS, 0, 0, 6], // flags and fragment offset
          [JMP_JSET_K, 6, 0, 0x1fff], // a later fragment: drop
          [LDX_B_MSH, 0, 0, 0], // X = IP header length
          [LD_B_IND, 0, 0, TCP_FLAGS_OFFSET],
        ]
      : [[LD_B_ABS, 0, 0, TCP_FLAGS_OFFSET]];
  const program: Instruction[] = [
    ...flagsTest,
    [JMP_JSET_K, 2, 0, RST], // RST: accept
    [ALU_AND_K, 0, 0, SYN_ACK],
    [JMP_JEQ_K, 0, 1, SYN_ACK], // SYN and ACK: accept, else drop
    [RET_K, 0, 0, ACCEPT],
    [RET_K, 0, 0, 0],
  ];
  return encodeProgram(program);
}

/**
 * For the raw UDP socket, which only sends: answers to UDP probes are ICMP errors, read by the ICMP
 * socket, so every datagram it would read is a copy of other programs' traffic.
 */
export const RECEIVE_NOTHING_FILTER: Buffer = encodeProgram([[RET_K, 0, 0, 0]]);

/** struct sock_filter in the host's byte order: u16 code, u8 jt, u8 jf, u32 k. */
function encodeProgram(program: readonly Instruction[]): Buffer {
  const little = endianness() === 'LE';
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    const at = i * 8;
    if (little) bytes.writeUInt16LE(code, at);
    else bytes.writeUInt16BE(code, at);
    bytes[at + 2] = jt;
    bytes[at + 3] = jf;
    if (little) bytes.writeUInt32LE(k >>> 0, at + 4);
    else bytes.writeUInt32BE(k >>> 0, at + 4);
  });
  return bytes;
}
