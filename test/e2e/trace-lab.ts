// The trace lab: client — r1 — {r2a | r2b} — r3 ══ r4 — target, the ══ link delayed, r1's route
// to everything behind it an equal-cost multipath over r2a and r2b (hashed on ports).
import type { Lab, Link, Netns } from '../lab';

export interface TraceLab {
  client: Netns;
  r1: Netns;
  r2a: Netns;
  r2b: Netns;
  r3: Netns;
  r4: Netns;
  target: Netns;
  links: {
    clientR1: Link;
    r1R2a: Link;
    r1R2b: Link;
    r2aR3: Link;
    r2bR3: Link;
    r3R4: Link;
    r4Target: Link;
  };
}

/** Summary prefixes of every link address of the lab (links are 10.0.k.0/24, fd00:0:0:k::/64). */
export const LAB_PREFIX4 = '10.0.0.0/16';
export const LAB_PREFIX6 = 'fd00::/48';

export async function buildTraceLab(lab: Lab, delayMs: number): Promise<TraceLab> {
  const client = await lab.namespace('trclient');
  const r1 = await lab.namespace('trr1', { router: true });
  const r2a = await lab.namespace('trr2a', { router: true });
  const r2b = await lab.namespace('trr2b', { router: true });
  const r3 = await lab.namespace('trr3', { router: true });
  const r4 = await lab.namespace('trr4', { router: true });
  const target = await lab.namespace('trtarget');
  for (const router of [r1, r2a, r2b, r3, r4]) {
    // An IPv4 router answers from the interface the probe came in on, so hops show the forward path.
    await router.sysctl('net.ipv4.icmp_errors_use_inbound_ifaddr', 1);
  }
  const links = {
    clientR1: await lab.connect(client, r1),
    r1R2a: await lab.connect(r1, r2a),
    r1R2b: await lab.connect(r1, r2b),
    r2aR3: await lab.connect(r2a, r3),
    r2bR3: await lab.connect(r2b, r3),
    r3R4: await lab.connect(r3, r4, { delayMs }),
    r4Target: await lab.connect(r4, target),
  };
  await lab.defaultRoute(client, links.clientR1.b);
  for (const prefix of [LAB_PREFIX4, LAB_PREFIX6]) {
    await lab.routeMultipath(r1, prefix, [links.r1R2a.b, links.r1R2b.b]);
  }
  await routeBranch(lab, r2a, links.r1R2a, links.r2aR3, links.clientR1);
  await routeBranch(lab, r2b, links.r1R2b, links.r2bR3, links.clientR1);
  // r3 returns everything through r2a: an IPv6 router answers from the address of its return route.
  await lab.defaultRoute(r3, links.r3R4.b);
  await lab.route(r3, links.clientR1.prefix4, links.r2aR3.a);
  await lab.route(r3, links.clientR1.prefix6, links.r2aR3.a);
  await lab.defaultRoute(r4, links.r3R4.a);
  await lab.defaultRoute(target, links.r4Target.a);
  return { client, r1, r2a, r2b, r3, r4, target, links };
}

/** A branch router: on to r3 by default, back to the client's link through r1. */
async function routeBranch(lab: Lab, router: Netns, up: Link, down: Link, clientLink: Link): Promise<void> {
  await lab.defaultRoute(router, down.b);
  await lab.route(router, clientLink.prefix4, up.a);
  await lab.route(router, clientLink.prefix6, up.a);
}
