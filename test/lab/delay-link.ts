import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { run } from './exec';
import { labFile, requireTools } from './tools';

let interpreter: Promise<string> | undefined;

/**
 * The real python3 executable (NDLAB_PYTHON overrides). Resolved once per process: python3 on
 * PATH may be a wrapper (pyenv shims take ~0.4 s per start).
 */
function python(): Promise<string> {
  const forced = process.env.NDLAB_PYTHON;
  if (forced) return Promise.resolve(forced);
  interpreter ??= run(['python3', '-c', 'import sys; print(sys.executable)'], { timeoutMs: 20_000 }).then(
    (r) => r.stdout.trim() || 'python3',
    () => 'python3',
  );
  return interpreter;
}

export interface DelayLinkOptions {
  /** One-way delay a->b in ms. */
  delayMs: number;
  /** One-way delay b->a in ms (default: delayMs). */
  delayBaMs?: number;
  /** Poll (instead of sleeping) this long before each due time; default 300 us. */
  spinUs?: number;
  /** SCHED_FIFO priority of the process (0: normal scheduling); default 10. */
  rtPriority?: number;
  /** How long to wait for "ready"; default 10 s. */
  readyTimeoutMs?: number;
}

export interface DelayLinkProcess {
  readonly child: ChildProcess;
  /** Last few KB of the process's stderr (it prints its statistics there when stopping). */
  stderr(): string;
}

/**
 * Starts test/lab/delay_link.py, which creates TUN devices devA and devB (in the caller's
 * namespace) and forwards packets between them after the delay. Resolves once it printed "ready",
 * i.e. when both devices exist and can be moved to their namespaces.
 *
 * The process's stdin is a pipe that is never written: when this process dies, the delay link sees
 * EOF and exits, and its TUN devices vanish with it.
 */
export async function startDelayLink(
  devA: string,
  devB: string,
  opts: DelayLinkOptions,
): Promise<DelayLinkProcess> {
  requireTools('python3');
  const args = [
    '-u',
    labFile('delay_link.py'),
    '--dev-a',
    devA,
    '--dev-b',
    devB,
    '--delay-ms',
    String(opts.delayMs),
  ];
  if (opts.delayBaMs !== undefined) args.push('--delay-ba-ms', String(opts.delayBaMs));
  if (opts.spinUs !== undefined) args.push('--spin-us', String(opts.spinUs));
  if (opts.rtPriority !== undefined) args.push('--rt-priority', String(opts.rtPriority));
  const child = spawn(await python(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    err = (err + s).slice(-4096);
  });
  child.stdin?.on('error', () => undefined);
  const proc: DelayLinkProcess = { child, stderr: () => err };

  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      fail(new Error(`delay link ${devA}<->${devB}: no "ready" within ${opts.readyTimeoutMs ?? 10_000} ms`));
      child.kill('SIGKILL');
    }, opts.readyTimeoutMs ?? 10_000);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.removeListener('error', fail);
    };
    function fail(e: Error): void {
      cleanup();
      reject(e);
    }
    function onExit(code: number | null, signal: NodeJS.Signals | null): void {
      fail(new Error(`delay link ${devA}<->${devB} exited (${code ?? signal}) before ready: ${err.trim()}`));
    }
    function onData(s: string): void {
      out += s;
      if (!/^ready$/m.test(out)) return;
      cleanup();
      child.stdout?.resume(); // keep draining, nothing else is printed on stdout
      // do not keep the event loop alive for it: destroy() or the exit hook stops it
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as Socket | null)?.unref?.();
      resolve(proc);
    }
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
}
