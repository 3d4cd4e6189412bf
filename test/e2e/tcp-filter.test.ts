// The classic BPF filters on the raw TCP and UDP sockets (issue 20): a raw IPPROTO_TCP socket gets a copy of
// every TCP segment of its namespace, so a bulk transfer beside the exporter used to be read, decoded
// and counted `foreign` segment by segment. With the filter only SYN-ACKs and RSTs reach user space.
// The truth is an unfiltered raw TCP socket beside it, which sees every segment the namespace carried.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { useLab, type Netns } from '../lab';
import { fixturePath } from '../support/paths';

const BULK_BYTES = 128 * 1024 * 1024;
const CLOSED_CONNECTS = 5;
const KNOCKS = 10;
const DATAGRAMS = 2000;

interface Stats {
  received: number;
  malformed: number;
  foreign: number;
  mismatched: number;
  matched: number;
}
interface Run {
  knocks: Record<'4' | '6', Array<{ rtt: number | null; state?: string }>>;
  stats: Record<'4' | '6', Stats>;
  udpStats: Record<'4' | '6', { received: number }>;
  seen: Record<'4' | '6', { segments: number; answers: number; datagrams: number }>;
}

describe('socket filters: bulk TCP and UDP traffic on the host does not reach the probes', () => {
  const lab = useLab();
  let ns: Netns;
  let run: Run;

  before(async () => {
    ns = await lab().namespace('tcpfilter');
    const args = [String(BULK_BYTES), String(CLOSED_CONNECTS), String(KNOCKS), String(DATAGRAMS)];
    const { stdout } = await ns.exec(['node', fixturePath('tcp-bulk-filter'), ...args], {
      timeoutMs: 120_000,
    });
    run = JSON.parse(stdout) as Run;
  });

  for (const family of ['4', '6'] as const) {
    it(`reads only the segments that can answer a SYN, all of them, and knocks go on (IPv${family})`, (t) => {
      const { segments, answers } = run.seen[family];
      const stats = run.stats[family];
      t.diagnostic(
        `namespace carried ${segments} segments, ${answers} SYN-ACK or RST; knocker read ${stats.received}`,
      );
      // The transfer happened, and was large: the unfiltered socket saw it.
      assert.ok(segments > 1000, `${segments} segments in the namespace`);
      // Every answer and nothing else: the knocks' SYN-ACKs, the RSTs our kernel sends back to the
      // knocked listener, the bulk connection's and the refused connections' answers.
      assert.equal(stats.received, answers, JSON.stringify(stats));
      assert.ok(answers >= KNOCKS + CLOSED_CONNECTS + 1, `${answers} answers`);
      assert.equal(stats.matched, KNOCKS);
      assert.equal(stats.malformed + stats.mismatched, 0);
      const knocks = run.knocks[family];
      assert.equal(knocks.length, KNOCKS);
      for (const knock of knocks)
        assert.ok(knock.state === 'open' && knock.rtt !== null, JSON.stringify(knock));
    });

    it(`the send-only UDP socket reads none of the namespace's datagrams (IPv${family})`, () => {
      // The unfiltered socket saw the test's datagrams (and whatever else UDP the namespace carried).
      assert.ok(run.seen[family].datagrams >= DATAGRAMS, `${run.seen[family].datagrams} datagrams`);
      assert.equal(run.udpStats[family].received, 0);
    });
  }
});
