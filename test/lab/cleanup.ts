import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { run } from './exec';

/** Every lab namespace is named `nd<creator pid>-<sequence>-<role>`. */
export const NS_NAME_RE = /^nd(\d+)-\d+-/;
const NETNS_DIR = '/var/run/netns';

/** Children (commands, spawned daemons, delay links) owned by one lab. */
export class ChildTracker {
  private readonly children = new Map<ChildProcess, { group: boolean }>();

  /** group: the child leads its own process group (spawned detached); kill the whole group. */
  add(child: ChildProcess, group: boolean): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    this.children.set(child, { group });
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
  }

  get size(): number {
    return this.children.size;
  }

  killSync(signal: NodeJS.Signals): void {
    for (const [child, { group }] of this.children) signalChild(child, group, signal);
  }

  /** SIGTERM everything, wait up to graceMs, then SIGKILL what is left and wait for it. */
  async terminate(graceMs: number): Promise<void> {
    if (this.children.size === 0) return;
    const children = [...this.children.keys()];
    for (const c of children) c.ref(); // delay links are unref'd: keep the loop alive until they are gone
    const exits = Promise.all(children.map(exited));
    this.killSync('SIGTERM');
    await within(exits, graceMs);
    if (this.children.size === 0) return;
    // Said in the log: a test's own check of how a process ended then reads SIGKILL, not a crash.
    for (const child of this.children.keys())
      process.stderr.write(
        `lab: ${child.spawnargs.join(' ')} still ran ${graceMs} ms after SIGTERM: SIGKILL\n`,
      );
    this.killSync('SIGKILL');
    await within(exits, 2000);
  }
}

function signalChild(child: ChildProcess, group: boolean, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** Waits for p, at most ms milliseconds (without keeping the process alive longer than needed). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/* ------------------------------------------------------------------------------------------------
 * Registry of live labs, for the synchronous fallback when the process exits without destroy().
 * ---------------------------------------------------------------------------------------------- */

export interface LiveLab {
  readonly namespaces: Set<string>;
  readonly tracker: ChildTracker;
}

const live = new Set<LiveLab>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function onExit(): void {
  cleanupAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupAllSync();
  uninstallHooks();
  // behave as if we had never been there: default action (terminate) unless someone else listens
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

let hooked = false;
function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstallHooks(): void {
  if (!hooked) return;
  hooked = false;
  process.removeListener('exit', onExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

export function registerLab(lab: LiveLab): void {
  live.add(lab);
  installHooks();
}

export function unregisterLab(lab: LiveLab): void {
  live.delete(lab);
  if (live.size === 0) uninstallHooks();
}

/** Last resort, synchronous: kill the labs' children and delete their namespaces. */
export function cleanupAllSync(): void {
  for (const lab of live) {
    lab.tracker.killSync('SIGKILL');
    for (const ns of lab.namespaces) deleteNamespaceSync(ns);
    lab.namespaces.clear();
  }
  live.clear();
}

function killPids(out: string): void {
  for (const line of out.split('\n')) {
    const pid = Number(line.trim());
    if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

function deleteNamespaceSync(name: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000 });
  if (pids.status === 0) killPids(pids.stdout);
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 5000 });
}

/** Kills whatever still runs inside the namespace, then deletes it. */
export async function deleteNamespace(name: string): Promise<void> {
  const pids = await run(['ip', 'netns', 'pids', name], { check: false, timeoutMs: 10_000 });
  if (pids.code === 0) killPids(pids.stdout);
  const res = await run(['ip', 'netns', 'del', name], { check: false, timeoutMs: 10_000 });
  if (res.code !== 0 && !/No such file/i.test(res.stderr)) {
    throw new Error(`netdiag lab: cannot delete namespace ${name}: ${res.stderr.trim()}`);
  }
}

/* ------------------------------------------------------------------------------------------------
 * Stale namespaces of earlier runs (creator killed before it could clean up).
 * ---------------------------------------------------------------------------------------------- */

const CLK_TCK = 100; // USER_HZ, 100 on every Linux architecture we run on

/** Start time of a process in ms since the epoch, or undefined when it does not exist. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may contain spaces and parentheses: fields start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]); // field 22 of proc(5), counted from field 3
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!btime?.[1] || !Number.isFinite(startTicks)) return undefined;
    return Number(btime[1]) * 1000 + (startTicks * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function creatorAlive(pid: number, nsName: string): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // the pid exists; if it was started after the namespace was created it is a reused pid
  const started = processStartMs(pid);
  if (started === undefined) return true;
  try {
    const created = statSync(`${NETNS_DIR}/${nsName}`).mtimeMs;
    return started <= created + 2000; // slack: btime has a 1 s resolution
  } catch {
    return true;
  }
}

/** Names of all namespaces known to `ip netns`. */
export async function listNamespaces(): Promise<string[]> {
  const res = await run(['ip', 'netns', 'list'], { check: false });
  return res.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** Deletes lab namespaces whose creator process no longer exists. Returns their names. */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const swept: string[] = [];
  for (const name of await listNamespaces()) {
    const m = NS_NAME_RE.exec(name);
    if (!m?.[1]) continue;
    if (creatorAlive(Number(m[1]), name)) continue;
    try {
      await deleteNamespace(name);
      swept.push(name);
    } catch {
      // another process may be sweeping the same namespace
    }
  }
  return swept;
}
