// The sessions' specs, read at every probe, have one hidden class however many sessions there are:
// built with `{ ...loop, size }`, V8 gave each its own, and at ten thousand sessions every read of
// them was a megamorphic lookup (bench/results.md, "Exporter, 2026-12-02: where the CPU went").
// V8's own view is the truth here: a child process with --allow-natives-syntax asks %HaveSameMap.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const probesIndex = path.resolve(__dirname, '..', '..', '..', 'probes', 'index.js');

/** Opens `count` sessions with `open`, and prints how many distinct hidden classes their specs have. */
const script = (open: string): string => `
const probes = require(${JSON.stringify(probesIndex)});
(async () => {
  const sessions = [];
  ${open}
  const classes = [];
  for (const s of sessions) if (!classes.some((c) => %HaveSameMap(c, s.spec))) classes.push(s.spec);
  for (const s of sessions) s.close();
  await owner.close();
  process.stdout.write(String(classes.length));
})();
`;

function hiddenClasses(open: string): number {
  return Number(
    execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script(open)], {
      encoding: 'utf8',
    }),
  );
}

describe('session specs share one hidden class', () => {
  it('Pinger: 1,000 sessions to 250 addresses, with and without a TTL set on some', () => {
    const open = `const owner = await probes.Pinger.create();
      for (let i = 0; i < 1000; i++)
        sessions.push(owner.session({ addr: '127.0.0.' + (1 + (i % 250)), timeout: 1 + (i % 3), size: 56 + (i % 7), ...(i % 2 ? { ttl: 9 } : {}) }));`;
    assert.equal(hiddenClasses(open), 1);
  });

  it('Knocker: 200 sessions to 50 addresses and four ports', () => {
    const open = `const owner = await probes.Knocker.create();
      for (let i = 0; i < 200; i++)
        sessions.push(owner.session({ addr: '127.0.0.' + (1 + (i % 50)), port: 1000 + (i % 4), timeout: 1 }));`;
    assert.equal(hiddenClasses(open), 1);
  });
});
