// The MDA lab: a 4-way split with a nested 2-way split, then a join, 5 hops (see buildMdaLab).
import type { Lab, Link, Netns } from '../lab';
import { LAB_PREFIX4, LAB_PREFIX6 } from './trace-lab';

/**
 *   client — r1 ═╦═ r2a ═╦═ r3a ─┐
 *                ║       ╚═ r3b ─┤
 *                ╠═ r2b ──┐      ├─ r4 — target
 *                ╠═ r2c ──┼─ r3c ┘
 *                ╚═ r2d ──┘
 *
 * r1 splits everything behind it 4 ways (an ECMP route over r2a-r2d), r2a splits again 2 ways (over
 * r3a and r3b): a nested diamond. Every router answers from the interface the probe came in on (IPv4:
 * icmp_errors_use_inbound_ifaddr; IPv6: Linux's choice), so r3c shows one address per branch into it
 * and r4 one per router before it. ICMP rate limits are lifted in every namespace (test/lab). Needs
 * Linux 6.11 or later (net.ipv4.fib_multipath_hash_seed).
 */
export interface MdaLab {
  client: Netns;
  r1: Netns;
  r2a: Netns;
  r2b: Netns;
  r2c: Netns;
  r2d: Netns;
  r3a: Netns;
  r3b: Netns;
  r3c: Netns;
  r4: Netns;
  target: Netns;
  links: {
    clientR1: Link;
    r1R2a: Link;
    r1R2b: Link;
    r1R2c: Link;
    r1R2d: Link;
    r2aR3a: Link;
    r2aR3b: Link;
    r2bR3c: Link;
    r2cR3c: Link;
    r2dR3c: Link;
    r3aR4: Link;
    r3bR4: Link;
    r3cR4: Link;
    r4Target: Link;
  };
}

export type LabFamily = 'ipv4' | 'ipv6';

/** `rolePrefix`: the start of every namespace's role (tests that run side by side each take their own). */
export async function buildMdaLab(lab: Lab, rolePrefix = 'mda'): Promise<MdaLab> {
  const ns = (role: string, router = true): Promise<Netns> =>
    lab.namespace(`${rolePrefix}${role}`, { router });
  const client = await ns('client', false);
  const [r1, r2a, r2b, r2c, r2d, r3a, r3b, r3c, r4] = await Promise.all(
    ['r1', 'r2a', 'r2b', 'r2c', 'r2d', 'r3a', 'r3b', 'r3c', 'r4'].map((role) => ns(role)),
  );
  const target = await ns('target', false);
  const routers = [r1!, r2a!, r2b!, r2c!, r2d!, r3a!, r3b!, r3c!, r4!];
  await Promise.all(routers.map((router) => router.sysctl('net.ipv4.icmp_errors_use_inbound_ifaddr', 1)));
  // Each router hashes with a seed of its own (IPv4 and IPv6 alike): with the same seed, r2a would
  // send every flow r1 gave it the same way (r1's quarter of the hash range falls in one of r2a's
  // halves: polarization), and the nested split would never show. Real routers differ likewise.
  await Promise.all(routers.map((router, i) => router.sysctl('net.ipv4.fib_multipath_hash_seed', 1000 + i)));
  const links = {
    clientR1: await lab.connect(client, r1!),
    r1R2a: await lab.connect(r1!, r2a!),
    r1R2b: await lab.connect(r1!, r2b!),
    r1R2c: await lab.connect(r1!, r2c!),
    r1R2d: await lab.connect(r1!, r2d!),
    r2aR3a: await lab.connect(r2a!, r3a!),
    r2aR3b: await lab.connect(r2a!, r3b!),
    r2bR3c: await lab.connect(r2b!, r3c!),
    r2cR3c: await lab.connect(r2c!, r3c!),
    r2dR3c: await lab.connect(r2d!, r3c!),
    r3aR4: await lab.connect(r3a!, r4!),
    r3bR4: await lab.connect(r3b!, r4!),
    r3cR4: await lab.connect(r3c!, r4!),
    r4Target: await lab.connect(r4!, target),
  };
  const { clientR1 } = links;
  const back = async (router: Netns, via: Link): Promise<void> => {
    await lab.route(router, clientR1.prefix4, via.a);
    await lab.route(router, clientR1.prefix6, via.a);
  };
  await lab.defaultRoute(client, clientR1.b);
  for (const prefix of [LAB_PREFIX4, LAB_PREFIX6]) {
    await lab.routeMultipath(r1!, prefix, [links.r1R2a.b, links.r1R2b.b, links.r1R2c.b, links.r1R2d.b]);
    await lab.routeMultipath(r2a!, prefix, [links.r2aR3a.b, links.r2aR3b.b]);
  }
  await back(r2a!, links.r1R2a);
  for (const [router, up, down] of [
    [r2b!, links.r1R2b, links.r2bR3c],
    [r2c!, links.r1R2c, links.r2cR3c],
    [r2d!, links.r1R2d, links.r2dR3c],
  ] as const) {
    await lab.defaultRoute(router, down.b);
    await back(router, up);
  }
  for (const [router, up, down] of [
    [r3a!, links.r2aR3a, links.r3aR4],
    [r3b!, links.r2aR3b, links.r3bR4],
    [r3c!, links.r2bR3c, links.r3cR4],
  ] as const) {
    await lab.defaultRoute(router, down.b);
    await back(router, up);
  }
  await lab.defaultRoute(r4!, links.r4Target.b);
  await back(r4!, links.r3cR4);
  await lab.defaultRoute(target, links.r4Target.a);
  return {
    client,
    r1: r1!,
    r2a: r2a!,
    r2b: r2b!,
    r2c: r2c!,
    r2d: r2d!,
    r3a: r3a!,
    r3b: r3b!,
    r3c: r3c!,
    r4: r4!,
    target,
    links,
  };
}

/** What every complete trace to the target must find, per TTL: the addresses each router answers from. */
export function mdaLabHops(m: MdaLab, family: LabFamily): string[][] {
  const { links: l } = m;
  const b = (link: Link): string => link.b[family];
  return [
    [b(l.clientR1)],
    [b(l.r1R2a), b(l.r1R2b), b(l.r1R2c), b(l.r1R2d)],
    [b(l.r2aR3a), b(l.r2aR3b), b(l.r2bR3c), b(l.r2cR3c), b(l.r2dR3c)],
    [b(l.r3aR4), b(l.r3bR4), b(l.r3cR4)],
    [b(l.r4Target)],
  ].map((hop) => hop.sort());
}

/** The distinct paths of the lab: r2a's two branches, and one through each of r2b, r2c and r2d. */
export const MDA_LAB_PATHS = 5;

/** Linux's own ICMP rate limits (the kernel's defaults): for one source, a burst of ~6 errors, then 1 per second. */
export const LINUX_DEFAULT_ICMP_LIMITS: Readonly<Record<string, number>> = {
  'net.ipv4.icmp_ratelimit': 1000,
  'net.ipv4.icmp_msgs_per_sec': 1000,
  'net.ipv4.icmp_msgs_burst': 50,
  'net.ipv6.icmp.ratelimit': 1000,
};

/**
 * Puts Linux's default ICMP limits back on every router and the target (the lab lifts them): the
 * lab then answers as real networks do, time-exceeded and port-unreachable messages limited per source.
 */
export async function restoreLinuxIcmpLimits(m: MdaLab): Promise<void> {
  const limited = [m.r1, m.r2a, m.r2b, m.r2c, m.r2d, m.r3a, m.r3b, m.r3c, m.r4, m.target];
  await Promise.all(limited.map((ns) => ns.sysctls(LINUX_DEFAULT_ICMP_LIMITS)));
}
