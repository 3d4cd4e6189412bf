// Forwarding loss and path changes through the exporter, on the MDA lab in three variants side by
// side: no limits; Linux's default ICMP limits on every router and the target; 10 % of the probes
// lost behind hop 2 (forwarded by r2a-r2d). Each variant is a lab of its own with an exporter of its
// own tracing the target over UDP, TCP and ICMP, IPv4 and IPv6.
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireTools, useLab, type Lab } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';
import { buildMdaLab, MDA_LAB_PATHS, restoreLinuxIcmpLimits, type LabFamily, type MdaLab } from './mda-lab';
import { LAB_PREFIX4, LAB_PREFIX6 } from './trace-lab';

/** Rounds the stable labs are watched for: "zero path changes over 30 rounds". */
const STABLE_ROUNDS = 30;
/** The loss injected behind hop 2. */
const LOSS = 0.1;
/**
 * Rounds the paced variants run before their forwarding loss is read: a router's budget shared by
 * three targets gives each about 1 probe a round at hops 1 and 2, and a TCP or ICMP destination 1 to
 * 2 (the MDA reaches it through the hops before); a TTL needs 30 in its window
 * (FORWARD_LOSS_MIN_PROBES) for a figure of its own, and a hop without one reads the loss behind it.
 */
const PACED_ROUNDS = 60;
/** The limited variant is watched for both: stable paths, and a forwarding loss at every hop. */
const LIMITED_ROUNDS = Math.max(STABLE_ROUNDS, PACED_ROUNDS);
/**
 * Standard deviations a figure may stray from the truth: two-sided 6e-5 per figure by the normal
 * approximation, 1e-4 to 5e-4 by the binomial's own upper tail at the 30-105 probes of a window.
 */
const Z = 4;
const PROTOCOLS = ['udp', 'tcp', 'icmp'] as const;
const FAMILIES = ['ipv4', 'ipv6'] as const;
type Protocol = (typeof PROTOCOLS)[number];

interface Variant {
  lab: MdaLab;
  exporter: ExporterProcess;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const targetName = (protocol: Protocol, family: LabFamily): string =>
  `${protocol}${family === 'ipv4' ? 4 : 6}`;

/**
 * Exporter config: every protocol and family to the lab's target; 1 s rounds keep 30 rounds near 40 s.
 * The limited and lossy variants run with the default pacing (the routers' budget: a burst of 6, then
 * about 1 answer a second per router, shared by the three targets of a family), which gives a hop 1 to
 * 4 probes a round: the window of the last probes of each TTL (probes/trace/loss) reads them over as
 * many rounds as they take. The clear variant runs unpaced: it tests how soon the path watch sees a
 * branch go (2 rounds), which needs every round to explore every branch; 1 s rounds under the budget
 * explore a few probes a hop each (trace-pacing.test.ts and trace-mda.test.ts test pacing's coverage).
 */
function config(m: MdaLab, paced: boolean): string {
  const targets = PROTOCOLS.flatMap((protocol) =>
    FAMILIES.map(
      (family) => `
  - name: ${targetName(protocol, family)}
    host: "${m.links.r4Target.b[family]}"
    trace: { protocol: ${protocol}${protocol === 'tcp' ? ', port: 443' : ''} }`,
    ),
  );
  return `
defaults:
  trace: { interval: 1s, timeout: 400ms, max_hops: 8${paced ? '' : ', pacing: 0'} }
targets:${targets.join('')}
`;
}

/**
 * 10 % of the probes r2a-r2d forward are dropped (nft, forward hook): hops 1 and 2 answer every probe
 * sent to them, every probe to hop 3 or later crosses the loss. Only the client's packets are
 * dropped: the answers coming back cross r2a-r2d untouched.
 */
async function loseBehindHop2(lab: Lab, m: MdaLab): Promise<void> {
  const client = m.links.clientR1.a;
  const match = [`ip saddr ${client.ipv4}`, `ip6 saddr ${client.ipv6}`];
  await Promise.all(
    [m.r2a, m.r2b, m.r2c, m.r2d].map((router) => lab.setLoss(router, LOSS * 100, { match, hook: 'forward' })),
  );
}

/** Scrapes until every target has done at least `rounds` rounds. */
async function afterRounds(v: Variant, rounds: number): Promise<Sample[]> {
  for (;;) {
    const samples = await v.exporter.scrape();
    const done = select(samples, 'netdiag_trace_rounds_total', {}).map((s) => s.value);
    if (done.length === PROTOCOLS.length * FAMILIES.length && Math.min(...done) >= rounds) return samples;
    await sleep(500);
  }
}

/** Per hop (1-5) of one target: forward loss, its window's probes, hop loss. */
function hopsOf(samples: Sample[], protocol: Protocol, family: LabFamily) {
  const labels = { target: targetName(protocol, family) };
  const at = (name: string, hop: number): number => {
    const found = select(samples, name, { ...labels, hop: String(hop) });
    assert.equal(
      found.length,
      1,
      `${labels.target} ${name} hop ${hop}; ${whyNoSeries(samples, labels.target)}`,
    );
    return found[0]!.value;
  };
  return [1, 2, 3, 4, 5].map((hop) => ({
    hop,
    forward: at('netdiag_trace_hop_forward_loss_ratio', hop),
    probes: at('netdiag_trace_hop_forward_loss_window_probes', hop),
    loss: at('netdiag_trace_hop_loss_ratio', hop),
  }));
}

/** What the scrape says of a target whose hop series are missing: its failed rounds, and the hops it has. */
function whyNoSeries(samples: Sample[], target: string): string {
  const errors = select(samples, 'netdiag_probe_errors_total', { target }).map(
    (s) => `${s.labels['probe']}/${s.labels['reason']} ${s.value}`,
  );
  const hops = select(samples, 'netdiag_trace_hop_loss_ratio', { target }).map((s) => s.labels['hop']);
  return `probe errors: ${errors.join(', ') || 'none'}; hops with a loss series: ${hops.join(', ') || 'none'}`;
}

const value = (samples: Sample[], name: string, target: string): number =>
  select(samples, name, { target })[0]!.value;

describe(
  'trace forwarding loss and path changes through the exporter (MDA lab, three variants)',
  {
    concurrency: true,
  },
  () => {
    const lab = useLab();
    const variants = {} as Record<'clear' | 'limited' | 'lossy', Variant>;

    before(async () => {
      requireTools('nft', 'curl');
      const [clear, limited, lossy] = await Promise.all(
        ['flsa', 'flsb', 'flsc'].map((prefix) => buildMdaLab(lab(), prefix)),
      );
      await restoreLinuxIcmpLimits(limited!);
      await loseBehindHop2(lab(), lossy!);
      const start = (m: MdaLab, port: number, paced: boolean) =>
        startExporter(m.client, config(m, paced), port);
      const [a, b, c] = await Promise.all([
        start(clear!, 9580, false),
        start(limited!, 9581, true),
        start(lossy!, 9582, true),
      ]);
      variants.clear = { lab: clear!, exporter: a };
      variants.limited = { lab: limited!, exporter: b };
      variants.lossy = { lab: lossy!, exporter: c };
    });

    after(async () => {
      await Promise.all(Object.values(variants).map(async (v) => assert.equal(await v.exporter.stop(), 0)));
    });

    it(`under Linux's ICMP limits: no forward loss at any hop (TCP, ICMP), none or unknown (UDP), though hop loss shows the limits; no path change in ${LIMITED_ROUNDS} rounds, no path taken back`, async () => {
      const v = variants.limited;
      const halfway = await afterRounds(v, LIMITED_ROUNDS / 2);
      const samples = await afterRounds(v, LIMITED_ROUNDS);
      let limitedHops = 0;
      for (const protocol of PROTOCOLS)
        for (const family of FAMILIES) {
          const target = targetName(protocol, family);
          const hops = hopsOf(samples, protocol, family);
          const shown = JSON.stringify(hops);
          console.log(
            `limited ${target} (${value(samples, 'netdiag_trace_paths', target)} paths): ${hops.map((h) => `${h.hop}: loss ${h.loss.toFixed(2)} fwd ${h.forward.toFixed(3)}/${h.probes}`).join(', ')}`,
          );
          for (const { hop, forward } of hops) {
            if (protocol === 'udp')
              assert.ok(Number.isNaN(forward) || forward <= 0.05, `${target} hop ${hop}: ${shown}`);
            else assert.ok(forward <= 0.05, `${target} hop ${hop}: ${shown}`);
          }
          limitedHops += hops.filter((h) => h.loss >= 0.2).length;
          assert.equal(value(samples, 'netdiag_trace_path_changes_total', target), 0, target);
          // Stable, not complete: with 1 s rounds the limits leave a router about one answer a
          // round, and the UDP MDA may not have found every branch yet; none found is taken back.
          const paths = value(samples, 'netdiag_trace_paths', target);
          assert.ok(
            paths >= 1 && paths <= (protocol === 'icmp' ? 1 : MDA_LAB_PATHS),
            `${target}: ${paths} paths`,
          );
          assert.ok(paths >= value(halfway, 'netdiag_trace_paths', target), `${target}: paths went down`);
        }
      assert.ok(limitedHops > 0, 'the limits show in the hop loss (or the variant tests nothing)');
    });

    it('with 10 % lost behind hop 2: hops 1-2 at most 4 %, hops 3-5 within a binomial bound of 10 % (TCP, ICMP); UDP unknown behind it, or a clean window within that bound', async () => {
      const samples = await afterRounds(variants.lossy, PACED_ROUNDS);
      let pooledLost = 0;
      let pooledProbes = 0;
      for (const protocol of PROTOCOLS)
        for (const family of FAMILIES) {
          const target = targetName(protocol, family);
          const hops = hopsOf(samples, protocol, family);
          const shown = JSON.stringify(hops);
          console.log(
            `lossy ${target}: ${hops.map((h) => `${h.hop}: fwd ${h.forward.toFixed(3)}/${h.probes}`).join(', ')}`,
          );
          for (const { hop, forward } of hops.slice(0, 2))
            assert.ok(forward <= 0.04, `${target} hop ${hop}: ${shown}`);
          for (const { hop, forward, probes } of hops.slice(2)) {
            const bound = Z * Math.sqrt((LOSS * (1 - LOSS)) / probes);
            if (protocol === 'udp') {
              // Every answer behind the loss is an ICMP error (the port unreachable too), so a loss
              // there cannot be told from a limit: unknown. Unless a window behind hop 2 happened to
              // lose nothing (0 of 39 at 10 %: 1.6 % a window; a CI run read it for udp6): a
              // window with every probe answered is a clean figure, its 0 the estimate, and the
              // binomial bound must still hold it.
              assert.ok(
                Number.isNaN(forward) || (probes > 0 && Math.abs(forward - LOSS) <= bound),
                `${target} hop ${hop}: ${shown}`,
              );
              continue;
            }
            assert.ok(
              Math.abs(forward - LOSS) <= bound,
              `${target} hop ${hop}: ${forward} of ${probes} probes, ±${bound.toFixed(3)}: ${shown}`,
            );
            if (hop === 5) {
              pooledLost += forward * probes;
              pooledProbes += probes;
            }
          }
        }
      // A window of one target is too short for the bound to reach below 0 (that needs 145 probes):
      // the destination's four figures (TCP, ICMP) pooled are not, so an estimate stuck low fails.
      const pooled = pooledLost / pooledProbes;
      const bound = Z * Math.sqrt((LOSS * (1 - LOSS)) / pooledProbes);
      assert.ok(
        Math.abs(pooled - LOSS) <= bound,
        `the destination's forward loss pooled over TCP and ICMP: ${pooled.toFixed(3)} of ${pooledProbes} probes, ±${bound.toFixed(3)}`,
      );
    });

    it("without limits: no forward loss, no path change; r2d taken out of r1's route is counted within 2 rounds and paths follow (UDP, TCP)", async () => {
      const v = variants.clear;
      const before = await afterRounds(v, 12);
      for (const protocol of PROTOCOLS)
        for (const family of FAMILIES) {
          const target = targetName(protocol, family);
          assert.equal(value(before, 'netdiag_trace_path_changes_total', target), 0, target);
          assert.equal(
            value(before, 'netdiag_trace_paths', target),
            protocol === 'icmp' ? 1 : MDA_LAB_PATHS,
            target,
          );
          for (const { hop, forward } of hopsOf(before, protocol, family))
            assert.equal(forward, 0, `${target} hop ${hop}`);
        }
      const rounds = Math.max(...select(before, 'netdiag_trace_rounds_total', {}).map((s) => s.value));
      const { links: l, r1 } = v.lab;
      await lab().routeMultipath(r1, LAB_PREFIX4, [l.r1R2a.b, l.r1R2b.b, l.r1R2c.b]);
      await lab().routeMultipath(r1, LAB_PREFIX6, [l.r1R2a.b, l.r1R2b.b, l.r1R2c.b]);
      // The round in flight may have been half done: two whole rounds after it.
      const after = await afterRounds(v, rounds + 3);
      for (const protocol of ['udp', 'tcp'] as const)
        for (const family of FAMILIES) {
          const target = targetName(protocol, family);
          assert.equal(value(after, 'netdiag_trace_path_changes_total', target), 1, target);
          // r2d's branch was one of the 5: r2d and r3c's address on the r2d link are gone
          assert.equal(value(after, 'netdiag_trace_paths', target), MDA_LAB_PATHS - 1, target);
        }
    });
  },
);
