/**
 * netdiag-exporter network lab: Linux network namespaces joined by veth pairs or by user-space
 * delay links, with routes, AnyIP ranges, nftables loss and counters. See README.md.
 */
import { after, before } from 'node:test';
import {
  ChildTracker,
  deleteNamespace,
  registerLab,
  sweepStaleNamespaces,
  unregisterLab,
  type LiveLab,
} from './cleanup';
import { startDelayLink } from './delay-link';
import { run, type ExecResult } from './exec';
import { NetnsImpl, type Netns } from './netns';
import {
  baseScript,
  checkCounterName,
  clearLossScript,
  counterScript,
  DEFAULT_LOSS_MATCH,
  lossScript,
  parseCounter,
  type Hook,
} from './nft';
import { requireRoot, requireTools } from './tools';

export type { ExecResult, ExecOptions } from './exec';
export { CommandError } from './exec';
export type { Netns, SpawnOpts } from './netns';
export type { Hook } from './nft';
export { requireTools, which } from './tools';
export { listNamespaces, sweepStaleNamespaces } from './cleanup';
export type { DnsRecords, DnsServer } from './dns-server';
export { startDnsServer } from './dns-server';

export interface LinkEnd {
  ns: Netns;
  ifname: string;
  /** Address without prefix length (the link is a /24). */
  ipv4: string;
  /** Address without prefix length (the link is a /64). */
  ipv6: string;
}

export interface Link {
  a: LinkEnd;
  b: LinkEnd;
  /** One-way delay in ms (0: veth pair). */
  delayMs: number;
  kind: 'veth' | 'delay';
  /** Link prefixes, e.g. 10.0.3.0/24 and fd00:0:0:3::/64. */
  prefix4: string;
  prefix6: string;
}

export interface ConnectOptions {
  /** 0 (default): plain veth pair; > 0: TUN pair plus a delay_link.py process, delay each way. */
  delayMs?: number;
  /** One-way delay b->a if it should differ from delayMs (delay links only). */
  delayBaMs?: number;
}

export interface LossOptions {
  /** nft match expression(s); default: ICMP and ICMPv6 echo requests. */
  match?: string | string[];
  /** Hook the loss rule is attached to; default 'input'. */
  hook?: Hook;
}

export interface CounterOptions {
  /** Default 'input'. Counters see packets before the loss rule of the same hook drops them. */
  hook?: Hook;
}

/** A next hop: an address, or a link end (its address of the prefix's family is used). */
export type Via = string | LinkEnd;

export interface Lab {
  readonly id: string;
  /** Namespaces created so far (in creation order). */
  readonly namespaces: readonly Netns[];
  readonly links: readonly Link[];
  namespace(role: string, opts?: { router?: boolean }): Promise<Netns>;
  connect(a: Netns, b: Netns, opts?: ConnectOptions): Promise<Link>;
  /** `ip [-6] route replace PREFIX via VIA` (family from the prefix); prefix 'default' takes the via's family. */
  route(ns: Netns, prefix: string, via: Via | { multipath: Via[] }): Promise<void>;
  /** `ip [-6] route replace PREFIX nexthop via V1 nexthop via V2 ...` (ECMP). */
  routeMultipath(ns: Netns, prefix: string, vias: Via[]): Promise<void>;
  /** IPv4 and IPv6 default routes via the given (far) link end. */
  defaultRoute(ns: Netns, via: LinkEnd): Promise<void>;
  /** `ip [-6] route replace local PREFIX dev lo`: ns answers every address of PREFIX. */
  addAnyIp(ns: Netns, prefix: string): Promise<void>;
  /** Extra address on an interface (nodad for IPv6). */
  addAddress(end: LinkEnd | { ns: Netns; ifname: string }, cidr: string): Promise<void>;
  /** Replaces the loss rule of ns: drop percent % of the matching packets. */
  setLoss(ns: Netns, percent: number, opts?: LossOptions): Promise<void>;
  clearLoss(ns: Netns): Promise<void>;
  /** Named nft counter on a rule with `match`; returns a reader of its packet count. */
  counter(ns: Netns, name: string, match: string, opts?: CounterOptions): Promise<() => Promise<number>>;
  /** Runs an nft script (`nft -f -`) in ns, after the lab's table exists. */
  nft(ns: Netns, script: string): Promise<ExecResult>;
  /** Idempotent: kills spawned processes and delay links, deletes the namespaces. */
  destroy(): Promise<void>;
}

let labSeq = 0;
let nsSeq = 0;
let tunSeq = 0;

/** Sysctls of every namespace. Set before any link exists so that new interfaces inherit "default". */
const NS_SYSCTLS: Readonly<Record<string, string | number>> = {
  // ICMP errors and echo replies must not be rate limited, or traceroutes lose hops
  'net.ipv4.icmp_ratelimit': 0,
  'net.ipv4.icmp_msgs_per_sec': 1_000_000,
  'net.ipv4.icmp_msgs_burst': 1_000_000,
  'net.ipv6.icmp.ratelimit': 0,
  // ECMP: hash on L4 (ports) so that flows spread over the nexthops of a multipath route
  'net.ipv4.fib_multipath_hash_policy': 1,
  'net.ipv6.fib_multipath_hash_policy': 1,
  // asymmetric and multipath routing must not be dropped by reverse-path filtering
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  // no tentative IPv6 addresses (link-local ones included), usable at once
  'net.ipv6.conf.all.accept_dad': 0,
  'net.ipv6.conf.default.accept_dad': 0,
  // unprivileged ICMP echo sockets allowed for everyone
  'net.ipv4.ping_group_range': '0 2147483647',
};

const ROUTER_SYSCTLS: Readonly<Record<string, string | number>> = {
  'net.ipv4.ip_forward': 1,
  'net.ipv6.conf.all.forwarding': 1,
  'net.ipv6.conf.default.forwarding': 1,
};

function sanitizeRole(role: string): string {
  const r = role.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 40);
  if (r === '') throw new Error('namespace role must not be empty');
  return r;
}

function isV6(addr: string): boolean {
  return addr.includes(':');
}

class LabImpl implements Lab {
  readonly id: string;
  private readonly nsList: NetnsImpl[] = [];
  private readonly linkList: Link[] = [];
  private readonly tracker = new ChildTracker();
  private readonly live: LiveLab;
  private readonly nftReady = new Map<string, Promise<void>>();
  private readonly counterNames = new Map<string, Set<string>>();
  private linkSeq = 0;
  private destroying: Promise<void> | undefined;

  constructor() {
    this.id = `nd${process.pid}-lab${++labSeq}`;
    this.live = { namespaces: new Set(), tracker: this.tracker };
    registerLab(this.live);
  }

  /** A command of the lab itself (root namespace), killed by destroy() if still running. */
  private cmd(argv: string[]): Promise<ExecResult> {
    return run(argv, {}, (c) => this.tracker.add(c, false));
  }

  /** `ip netns add`, retried: concurrent first uses on a fresh machine race on /var/run/netns. */
  private async addNetns(name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.cmd(['ip', 'netns', 'add', name]);
        return;
      } catch (e) {
        if (attempt >= 3) throw e;
        await new Promise((r) => setTimeout(r, 50 * attempt));
        await run(['ip', 'netns', 'del', name], { check: false });
      }
    }
  }

  get namespaces(): readonly Netns[] {
    return this.nsList;
  }

  get links(): readonly Link[] {
    return this.linkList;
  }

  private assertUsable = (): void => {
    if (this.destroying) throw new Error(`lab ${this.id} is destroyed`);
  };

  private own(ns: Netns): NetnsImpl {
    this.assertUsable();
    const impl = this.nsList.find((n) => n === ns);
    if (!impl) throw new Error(`namespace ${ns.name} does not belong to lab ${this.id}`);
    return impl;
  }

  async namespace(role: string, opts: { router?: boolean } = {}): Promise<Netns> {
    this.assertUsable();
    const r = sanitizeRole(role);
    const name = `nd${process.pid}-${++nsSeq}-${r}`;
    this.live.namespaces.add(name); // before creation: the exit hook may have to delete it
    await this.addNetns(name);
    const ns = new NetnsImpl(name, r, this.tracker, this.assertUsable);
    this.nsList.push(ns);
    await ns.ip(['link', 'set', 'lo', 'up']);
    await ns.sysctls({ ...NS_SYSCTLS, ...(opts.router ? ROUTER_SYSCTLS : {}) });
    return ns;
  }

  async connect(a: Netns, b: Netns, opts: ConnectOptions = {}): Promise<Link> {
    const nsA = this.own(a);
    const nsB = this.own(b);
    if (nsA === nsB) throw new Error('connect: both ends in the same namespace');
    const delayMs = opts.delayMs ?? 0;
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`connect: invalid delayMs ${delayMs}`);
    const k = ++this.linkSeq;
    if (k > 9999) throw new Error('connect: too many links in one lab');
    const ifA = `l${k}a-${nsB.role}`.slice(0, 15);
    const ifB = `l${k}b-${nsA.role}`.slice(0, 15);
    const net4 = `10.${k >> 8}.${k & 255}`;
    const net6 = `fd00:0:0:${k}`; // decimal digits read as hex: link 12 -> fd00:0:0:12::/64
    const kind = delayMs > 0 || (opts.delayBaMs ?? 0) > 0 ? 'delay' : 'veth';

    if (kind === 'veth') {
      await this.cmd([
        'ip',
        'link',
        'add',
        ifA,
        'netns',
        nsA.name,
        'type',
        'veth',
        'peer',
        'name',
        ifB,
        'netns',
        nsB.name,
      ]);
    } else {
      // TUN devices are created in our namespace: their names must be unique there (pid + sequence)
      const base = `ndt${process.pid.toString(36)}-${(++tunSeq).toString(36)}`;
      const tmpA = `${base}a`;
      const tmpB = `${base}b`;
      const dl = await startDelayLink(tmpA, tmpB, {
        delayMs,
        ...(opts.delayBaMs !== undefined ? { delayBaMs: opts.delayBaMs } : {}),
      });
      this.tracker.add(dl.child, false);
      dl.child.once('exit', (code, signal) => {
        if (this.destroying) return;
        // the link is dead: say so, or the test only sees 100 % loss
        process.stderr.write(
          `netdiag lab: delay link ${nsA.name}/${ifA} <-> ${nsB.name}/${ifB} exited (${code ?? signal}): ` +
            `${dl.stderr().trim()}\n`,
        );
      });
      await this.cmd(['ip', 'link', 'set', 'dev', tmpA, 'netns', nsA.name, 'name', ifA]);
      await this.cmd(['ip', 'link', 'set', 'dev', tmpB, 'netns', nsB.name, 'name', ifB]);
    }
    const end = (ns: NetnsImpl, ifname: string, host: number): Promise<ExecResult> =>
      ns.ipBatch([
        `link set dev ${ifname} up`,
        `addr add ${net4}.${host}/24 dev ${ifname}`,
        `addr add ${net6}::${host}/64 dev ${ifname} nodad`,
      ]);
    await Promise.all([end(nsA, ifA, 1), end(nsB, ifB, 2)]);
    if (kind === 'delay') {
      // No queueing discipline on a delay link's ends, as on veth ends: a packet reaches the link's
      // process within the call that sent it. Under the default fq_codel a packet can wait in the
      // queue while another CPU empties it (milliseconds when that vCPU stalls), so the kernel's
      // transmit stamp (taken as it enters the queue) and a capture's (as it leaves) would part.
      await Promise.all([
        this.cmd(['tc', '-n', nsA.name, 'qdisc', 'replace', 'dev', ifA, 'root', 'noqueue']),
        this.cmd(['tc', '-n', nsB.name, 'qdisc', 'replace', 'dev', ifB, 'root', 'noqueue']),
      ]);
    }
    const link: Link = {
      a: { ns: nsA, ifname: ifA, ipv4: `${net4}.1`, ipv6: `${net6}::1` },
      b: { ns: nsB, ifname: ifB, ipv4: `${net4}.2`, ipv6: `${net6}::2` },
      delayMs,
      kind,
      prefix4: `${net4}.0/24`,
      prefix6: `${net6}::/64`,
    };
    this.linkList.push(link);
    return link;
  }

  async route(ns: Netns, prefix: string, via: Via | { multipath: Via[] }): Promise<void> {
    const impl = this.own(ns);
    const vias = typeof via === 'object' && 'multipath' in via ? via.multipath : [via];
    if (vias.length === 0) throw new Error('route: no next hop');
    let v6: boolean;
    if (prefix === 'default') {
      const first = vias[0];
      if (first === undefined || typeof first !== 'string') {
        throw new Error('route: use defaultRoute() or an address for a default route');
      }
      v6 = isV6(first);
    } else {
      v6 = isV6(prefix);
    }
    const addrs = vias.map((v) => (typeof v === 'string' ? v : v6 ? v.ipv6 : v.ipv4));
    const hops =
      typeof via === 'object' && 'multipath' in via
        ? addrs.flatMap((a) => ['nexthop', 'via', a])
        : ['via', addrs[0] as string];
    await impl.ip([...(v6 ? ['-6'] : []), 'route', 'replace', prefix, ...hops]);
  }

  routeMultipath(ns: Netns, prefix: string, vias: Via[]): Promise<void> {
    return this.route(ns, prefix, { multipath: vias });
  }

  async defaultRoute(ns: Netns, via: LinkEnd): Promise<void> {
    const impl = this.own(ns);
    await impl.ip(['route', 'replace', 'default', 'via', via.ipv4]);
    await impl.ip(['-6', 'route', 'replace', 'default', 'via', via.ipv6]);
  }

  async addAnyIp(ns: Netns, prefix: string): Promise<void> {
    const impl = this.own(ns);
    await impl.ip([...(isV6(prefix) ? ['-6'] : []), 'route', 'replace', 'local', prefix, 'dev', 'lo']);
  }

  async addAddress(end: LinkEnd | { ns: Netns; ifname: string }, cidr: string): Promise<void> {
    const impl = this.own(end.ns);
    const v6 = isV6(cidr);
    await impl.ip([...(v6 ? ['-6'] : []), 'addr', 'add', cidr, 'dev', end.ifname, ...(v6 ? ['nodad'] : [])]);
  }

  nft(ns: Netns, script: string): Promise<ExecResult> {
    const impl = this.own(ns);
    return this.ensureNft(impl).then(() => impl.exec(['nft', '-f', '-'], { input: script }));
  }

  private ensureNft(ns: NetnsImpl): Promise<void> {
    let p = this.nftReady.get(ns.name);
    if (!p) {
      requireTools('nft');
      p = ns.exec(['nft', '-f', '-'], { input: baseScript() }).then(() => undefined);
      p.catch(() => this.nftReady.delete(ns.name));
      this.nftReady.set(ns.name, p);
    }
    return p;
  }

  async setLoss(ns: Netns, percent: number, opts: LossOptions = {}): Promise<void> {
    const matches =
      opts.match === undefined ? DEFAULT_LOSS_MATCH : Array.isArray(opts.match) ? opts.match : [opts.match];
    const script = lossScript(percent, matches, opts.hook ?? 'input');
    await this.nft(ns, script);
  }

  async clearLoss(ns: Netns): Promise<void> {
    await this.nft(ns, clearLossScript());
  }

  async counter(
    ns: Netns,
    name: string,
    match: string,
    opts: CounterOptions = {},
  ): Promise<() => Promise<number>> {
    const impl = this.own(ns);
    checkCounterName(name);
    const names = this.counterNames.get(impl.name) ?? new Set<string>();
    if (names.has(name)) throw new Error(`counter ${name} already exists in ${impl.name}`);
    names.add(name);
    this.counterNames.set(impl.name, names);
    await this.nft(impl, counterScript(name, match, opts.hook ?? 'input'));
    return async () => {
      const res = await impl.exec(['nft', '-j', 'list', 'counter', 'inet', 'ndlab', name]);
      return parseCounter(res.stdout, name).packets;
    };
  }

  destroy(): Promise<void> {
    this.destroying ??= this.doDestroy();
    return this.destroying;
  }

  private async doDestroy(): Promise<void> {
    // spawned processes, running commands and delay links (their TUN devices vanish with them)
    // node:test runs a suite's `after` hooks in the order they were registered: useLab()'s comes
    // first, so this SIGTERM is usually what stops a test's exporters, and their exit codes are
    // checked after. The grace leaves a clean shutdown time to finish on a loaded machine.
    await this.tracker.terminate(3000);
    const errors: string[] = [];
    for (const name of [...this.live.namespaces].reverse()) {
      try {
        await deleteNamespace(name);
        this.live.namespaces.delete(name);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    // on failure the lab stays registered: the exit hook tries again
    if (errors.length > 0) throw new Error(errors.join('\n'));
    unregisterLab(this.live);
  }
}

/** Creates an empty lab (after deleting namespaces left behind by dead processes). */
export async function createLab(): Promise<Lab> {
  requireRoot();
  requireTools('ip', 'tc');
  await sweepStaleNamespaces();
  return new LabImpl();
}

/**
 * For node:test files: creates a lab in a `before` hook and destroys it in an `after` hook of the
 * current suite (or file). Call the returned getter inside tests/hooks:
 *
 *   const lab = useLab();
 *   test('x', async () => { const ns = await lab().namespace('client'); ... });
 */
export function useLab(): () => Lab {
  let lab: Lab | undefined;
  before(async () => {
    lab = await createLab();
  });
  after(async () => {
    await lab?.destroy();
  });
  return () => {
    if (!lab) throw new Error('useLab(): the lab exists only inside tests and hooks (after `before` ran)');
    return lab;
  };
}
