import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { ChildTracker } from './cleanup';
import { run, type ExecOptions, type ExecResult } from './exec';

export interface SpawnOpts {
  env?: NodeJS.ProcessEnv;
  /** Default 'pipe' for stdin, stdout and stderr (read them, or a chatty process blocks). */
  stdio?: StdioOptions;
}

export interface Netns {
  /** Real namespace name (`ip netns exec NAME`), unique per run: `nd<pid>-<seq>-<role>`. */
  readonly name: string;
  /** The role given to lab.namespace(). */
  readonly role: string;
  /** Runs `ip netns exec NAME argv...` and collects its output. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Starts a long-running process inside the namespace, in its own process group. It is killed
   * (with its process group) by lab.destroy() if still running.
   */
  spawn(argv: string[], opts?: SpawnOpts): ChildProcess;
  /** Writes /proc/sys/KEY inside the namespace; KEY in dotted (net.ipv4.ip_forward) or slash form. */
  sysctl(key: string, value: string | number): Promise<void>;
  /** Several sysctls in one process. */
  sysctls(values: Readonly<Record<string, string | number>>): Promise<void>;
  /** Runs `ip -n NAME args...` (no mount namespace dance, faster than exec(['ip', ...])). */
  ip(args: string[], opts?: ExecOptions): Promise<ExecResult>;
}

/** Shell loop writing pairs of arguments "key value" to /proc/sys; one process for many keys. */
const SYSCTL_SCRIPT =
  'while [ "$#" -gt 1 ]; do printf "%s\\n" "$2" > "/proc/sys/$1" || { echo "sysctl $1=$2 failed" >&2; exit 1; }; shift 2; done';

export function sysctlPath(key: string): string {
  const trimmed = key.trim().replace(/^\/proc\/sys\//, '');
  if (trimmed === '' || trimmed.includes('..')) throw new Error(`invalid sysctl key: ${key}`);
  return trimmed.includes('/') ? trimmed : trimmed.replace(/\./g, '/');
}

export class NetnsImpl implements Netns {
  constructor(
    readonly name: string,
    readonly role: string,
    private readonly tracker: ChildTracker,
    private readonly assertUsable: () => void,
  ) {}

  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    this.assertUsable();
    if (argv.length === 0) return Promise.reject(new Error('exec: empty argv'));
    return run(['ip', 'netns', 'exec', this.name, ...argv], opts, (c) => this.tracker.add(c, false));
  }

  spawn(argv: string[], opts: SpawnOpts = {}): ChildProcess {
    this.assertUsable();
    if (argv.length === 0) throw new Error('spawn: empty argv');
    const child = spawn('ip', ['netns', 'exec', this.name, ...argv], {
      env: opts.env ?? process.env,
      stdio: opts.stdio ?? 'pipe',
      detached: true, // own process group: destroy() kills the process and its descendants
    });
    this.tracker.add(child, true);
    return child;
  }

  async sysctl(key: string, value: string | number): Promise<void> {
    await this.sysctls({ [key]: value });
  }

  /** Several sysctls in one process. */
  async sysctls(values: Readonly<Record<string, string | number>>): Promise<void> {
    const args = Object.entries(values).flatMap(([k, v]) => [sysctlPath(k), String(v)]);
    if (args.length === 0) return;
    await this.exec(['sh', '-c', SYSCTL_SCRIPT, 'sysctl', ...args]);
  }

  ip(args: string[], opts?: ExecOptions): Promise<ExecResult> {
    this.assertUsable();
    return run(['ip', '-n', this.name, ...args], opts, (c) => this.tracker.add(c, false));
  }

  /** `ip -n NAME -batch -`: many ip commands in one process; fails on the first failing line. */
  ipBatch(lines: string[]): Promise<ExecResult> {
    return this.ip(['-batch', '-'], { input: lines.join('\n') + '\n' });
  }
}
