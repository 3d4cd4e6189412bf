import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { ProbeError } from '../errors';
import type { IpFamily } from '../packet';

/** One raw socket as /proc/net/raw (or raw6) lists it. */
export interface RawSocketLine {
  family: IpFamily;
  /** IP protocol number the socket was opened for (1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6). */
  protocol: number;
  /** The socket's inode: `socket:[INODE]` is what /proc/PID/fd/N links to. */
  inode: number;
  /** Datagrams the kernel dropped for this socket since it was opened (a full receive buffer, mostly). */
  drops: number;
}

/** Kernel receive drops of the process's raw sockets of one (family, protocol). */
export interface KernelDropsTotal {
  family: IpFamily;
  protocol: number;
  /** Since the reader was created; never decreases (sockets closed since keep their count). */
  drops: number;
}

/** What the reader needs of the file system; the real /proc by default. */
export interface ProcFiles {
  readFile(path: string): string;
  readdir(path: string): string[];
  readlink(path: string): string;
}

export interface KernelDropsOptions {
  /** Default: node:fs on the real /proc. */
  files?: ProcFiles;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
  /**
   * Milliseconds between two listings of /proc/self/fd at most (default 10,000). Listing happens
   * only when /proc/net/raw shows a socket not classified yet, as mine or another process's.
   */
  relistIntervalMs?: number;
}

const DEFAULT_RELIST_INTERVAL_MS = 10_000;

const realProc: ProcFiles = {
  readFile: (path) => readFileSync(path, 'latin1'),
  readdir: (path) => readdirSync(path),
  readlink: (path) => readlinkSync(path),
};

/**
 * Parses /proc/net/raw or /proc/net/raw6 (the sockets of the reader's network namespace). Columns:
 * sl, local_address (ADDRESS:PORT, the "port" being the protocol), rem_address, st, tx:rx queue,
 * tr:when, retrnsmt, uid, timeout, inode, ref, pointer, drops. Lines that do not parse are skipped:
 * the parser never throws, whatever the text.
 */
export function parseProcNetRaw(text: string, family: IpFamily): RawSocketLine[] {
  const sockets: RawSocketLine[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13 || !/^\d+:$/.test(fields[0]!)) continue;
    const local = fields[1]!;
    const protocolHex = local.slice(local.lastIndexOf(':') + 1);
    const inode = fields[9]!;
    const drops = fields[12]!;
    if (!/^[0-9A-Fa-f]{1,4}$/.test(protocolHex) || !/^\d+$/.test(inode) || !/^\d+$/.test(drops)) continue;
    sockets.push({ family, protocol: parseInt(protocolHex, 16), inode: Number(inode), drops: Number(drops) });
  }
  return sockets;
}

/** The inodes of the sockets this process has open, from the links of /proc/self/fd. */
export function ownSocketInodes(files: ProcFiles = realProc): Set<number> {
  const inodes = new Set<number>();
  for (const fd of files.readdir('/proc/self/fd')) {
    let target: string;
    try {
      target = files.readlink(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed since the listing (the listing's own descriptor, for one)
    }
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(Number(match[1]));
  }
  return inodes;
}

/**
 * The kernel's receive drops of this process's raw sockets, summed per (family, protocol): what
 * SO_RXQ_OVFL would tell, read from the `drops` column of /proc/net/raw{,6}, since raw-socket has
 * no recvmsg. Meant to be read at collection time: a read is two small files; the descriptors of
 * the process are listed only when an unknown socket shows up, at most every relistIntervalMs.
 * Counts of sockets that closed are kept, so every total only grows.
 */
export class KernelDrops {
  private readonly files: ProcFiles;
  private readonly now: () => number;
  private readonly relistIntervalMs: number;
  /** Raw sockets of the namespace known to be this process's, with their last drops. */
  private readonly mine = new Map<number, RawSocketLine>();
  /** Raw sockets of the namespace known to be another process's. */
  private readonly others = new Set<number>();
  /** Drops of this process's sockets closed since, by family and protocol. */
  private readonly retired = new Map<string, KernelDropsTotal>();
  private listedAt = -Infinity;

  constructor(options: KernelDropsOptions = {}) {
    this.files = options.files ?? realProc;
    this.now = options.now ?? (() => performance.now());
    this.relistIntervalMs = options.relistIntervalMs ?? DEFAULT_RELIST_INTERVAL_MS;
  }

  /** Totals per (family, protocol), sorted; throws ERR_PROC_READ when /proc cannot be read. */
  read(): KernelDropsTotal[] {
    let lines: RawSocketLine[];
    try {
      lines = [
        ...parseProcNetRaw(this.files.readFile('/proc/net/raw'), 4),
        ...parseProcNetRaw(this.files.readFile('/proc/net/raw6'), 6),
      ];
    } catch (error) {
      throw new ProbeError(
        'ERR_PROC_READ',
        `cannot read the raw sockets' drops from /proc/net/raw: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const present = new Set<number>();
    let unknown = false;
    for (const line of lines) {
      present.add(line.inode);
      if (!this.mine.has(line.inode) && !this.others.has(line.inode)) unknown = true;
    }
    if (unknown && this.now() - this.listedAt >= this.relistIntervalMs) this.classify(lines);
    for (const [inode, last] of this.mine) {
      if (present.has(inode)) continue;
      this.mine.delete(inode);
      this.totalOf(this.retired, last).drops += last.drops;
    }
    for (const inode of this.others) if (!present.has(inode)) this.others.delete(inode);
    const totals = new Map<string, KernelDropsTotal>();
    for (const total of this.retired.values()) this.totalOf(totals, total).drops += total.drops;
    for (const line of lines) {
      if (!this.mine.has(line.inode)) continue;
      this.mine.set(line.inode, line);
      this.totalOf(totals, line).drops += line.drops;
    }
    return [...totals.values()].sort((a, b) => a.family - b.family || a.protocol - b.protocol);
  }

  private classify(lines: readonly RawSocketLine[]): void {
    let own: Set<number>;
    try {
      own = ownSocketInodes(this.files);
    } catch (error) {
      throw new ProbeError(
        'ERR_PROC_READ',
        `cannot list this process's sockets in /proc/self/fd: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.listedAt = this.now();
    for (const line of lines) {
      if (own.has(line.inode)) this.mine.set(line.inode, line);
      else this.others.add(line.inode);
    }
  }

  private totalOf(
    totals: Map<string, KernelDropsTotal>,
    of: Omit<KernelDropsTotal, 'drops'>,
  ): KernelDropsTotal {
    const key = `${of.family}/${of.protocol}`;
    let total = totals.get(key);
    if (!total) totals.set(key, (total = { family: of.family, protocol: of.protocol, drops: 0 }));
    return total;
  }
}
