import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ProbeError } from '../../../probes';
import { KernelDrops, ownSocketInodes, parseProcNetRaw, type ProcFiles } from '../../../probes/socket';
import { RAW6_EMPTY, RAW6_WITH_DROPS, RAW_NO_DROPS, RAW_WITH_DROPS } from './proc-net-raw-fixtures';

/** A /proc of files and fd links the test sets, counting how often the fds are listed. */
class FakeProc implements ProcFiles {
  raw = RAW_WITH_DROPS;
  raw6 = RAW6_WITH_DROPS;
  /** fd number -> link target. */
  fds = new Map<string, string>([
    ['0', '/dev/null'],
    ['18', 'socket:[55620]'],
    ['19', 'socket:[55621]'],
    ['20', 'socket:[55622]'],
    ['21', 'pipe:[27225]'],
  ]);
  listings = 0;

  readFile(path: string): string {
    if (path === '/proc/net/raw') return this.raw;
    if (path === '/proc/net/raw6') return this.raw6;
    throw new Error(`ENOENT: ${path}`);
  }

  readdir(path: string): string[] {
    assert.equal(path, '/proc/self/fd');
    this.listings++;
    return [...this.fds.keys(), '99'];
  }

  readlink(path: string): string {
    const target = this.fds.get(path.slice('/proc/self/fd/'.length));
    if (target === undefined) throw new Error(`ENOENT: ${path}`); // closed since the listing
    return target;
  }
}

describe('parseProcNetRaw', () => {
  it('reads protocol, inode and drops of every socket line of /proc/net/raw and raw6', () => {
    assert.deepEqual(parseProcNetRaw(RAW_WITH_DROPS, 4), [
      { family: 4, protocol: 1, inode: 55620, drops: 490 },
      { family: 4, protocol: 6, inode: 55622, drops: 0 },
    ]);
    assert.deepEqual(parseProcNetRaw(RAW6_WITH_DROPS, 6), [
      { family: 6, protocol: 58, inode: 55621, drops: 290 },
      { family: 6, protocol: 17, inode: 55623, drops: 0 },
    ]);
    assert.deepEqual(parseProcNetRaw(RAW6_EMPTY, 6), []);
  });

  it('skips lines that do not parse, whatever the text', () => {
    const line = RAW_WITH_DROPS.split('\n')[1]!;
    const text = [
      line.replace(' 490', ' -1'),
      line.replace(':0001', ':zz'),
      line.split(/\s+/).slice(0, 8).join(' '),
      'garbage',
      '',
      line,
    ].join('\n');
    assert.deepEqual(parseProcNetRaw(text, 4), [{ family: 4, protocol: 1, inode: 55620, drops: 490 }]);
  });
});

describe('ownSocketInodes', () => {
  it("collects the inodes of the process's socket descriptors, skipping those closed meanwhile", () => {
    assert.deepEqual([...ownSocketInodes(new FakeProc())].sort(), [55620, 55621, 55622]);
  });
});

describe('KernelDrops', () => {
  it("sums the drops of this process's raw sockets per (family, protocol), not another process's", () => {
    const proc = new FakeProc();
    // 55623 (UDP over IPv6) belongs to another process of the namespace.
    const drops = new KernelDrops({ files: proc, now: () => 0 });
    assert.deepEqual(drops.read(), [
      { family: 4, protocol: 1, drops: 490 },
      { family: 4, protocol: 6, drops: 0 },
      { family: 6, protocol: 58, drops: 290 },
    ]);
  });

  it('lists the descriptors once, then again only for an unknown socket, at most every relistIntervalMs', () => {
    const proc = new FakeProc();
    let now = 0;
    const drops = new KernelDrops({ files: proc, now: () => now, relistIntervalMs: 10_000 });
    drops.read();
    drops.read();
    assert.equal(proc.listings, 1, 'every socket classified: no listing');
    // A new socket of this process shows up: listed, but not before 10 s after the last listing.
    proc.fds.set('22', 'socket:[60001]');
    proc.raw +=
      ' 99: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 60001 2 00000000aa 7\n';
    now = 5_000;
    assert.equal(drops.read()[0]!.drops, 490, 'not listed yet: not counted yet');
    assert.equal(proc.listings, 1);
    now = 10_000;
    assert.equal(drops.read()[0]!.drops, 497);
    assert.equal(proc.listings, 2);
  });

  it("keeps a closed socket's drops, so that every total only grows", () => {
    const proc = new FakeProc();
    let now = 0;
    const drops = new KernelDrops({ files: proc, now: () => now });
    drops.read();
    proc.raw = proc.raw.replace(' 490\n', ' 500\n');
    assert.equal(drops.read()[0]!.drops, 500);
    // The ICMP socket closes (its line goes), a new one opens and drops 3.
    proc.raw = RAW_NO_DROPS.replace('27762', '70000').replace(/ 0\n/, ' 3\n').replace('27764', '55622');
    proc.fds.set('18', 'socket:[70000]');
    now = 10_000;
    assert.deepEqual(drops.read().slice(0, 2), [
      { family: 4, protocol: 1, drops: 503 },
      { family: 4, protocol: 6, drops: 0 },
    ]);
  });

  it('fails with ERR_PROC_READ when /proc cannot be read', () => {
    const proc = new FakeProc();
    proc.readFile = () => {
      throw new Error('ENOENT: no such file or directory');
    };
    assert.throws(
      () => new KernelDrops({ files: proc }).read(),
      (error) =>
        error instanceof ProbeError &&
        error.code === 'ERR_PROC_READ' &&
        /\/proc\/net\/raw/.test(error.message),
    );
  });

  it('reads the real /proc of this process', () => {
    // No raw socket open in this test process: nothing of ours, and no throw.
    assert.deepEqual(new KernelDrops().read(), []);
  });
});
