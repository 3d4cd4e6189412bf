import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { constants as osConstants } from 'node:os';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExecOptions {
  /** Kill the command (SIGKILL) after this many milliseconds; default 30 000. */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  /** Default true: reject with the command's stderr when it exits non-zero. */
  check?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Exit code of a process killed by a signal, shell style (128 + signal number). */
function signalCode(signal: NodeJS.Signals | null): number {
  if (!signal) return -1;
  const n = (osConstants.signals as Record<string, number | undefined>)[signal];
  return n === undefined ? -1 : 128 + n;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: ExecResult,
    reason: string,
  ) {
    const detail = (result.stderr.trim() || result.stdout.trim()).slice(0, 4000);
    super(`command ${reason}: ${argv.join(' ')}${detail ? `\n${detail}` : ''}`);
    this.name = 'CommandError';
  }
}

/**
 * Runs argv (no shell) and collects its output. `track` is told about the child so that an
 * owner (a lab) can kill it when torn down.
 */
export function run(
  argv: readonly string[],
  opts: ExecOptions = {},
  track?: (child: ChildProcess) => void,
): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('run: empty argv'));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const check = opts.check ?? true;
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'] };
    const child = spawn(file, args, spawnOpts);
    track?.(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (code: number, spawnError?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const result: ExecResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
      };
      if (spawnError) {
        reject(new CommandError(argv, result, `could not be started (${spawnError.message})`));
      } else if (timedOut) {
        reject(new CommandError(argv, result, `timed out after ${timeoutMs} ms`));
      } else if (check && code !== 0) {
        reject(new CommandError(argv, result, `exited with code ${code}`));
      } else {
        resolve(result);
      }
    };
    child.on('error', (e) => finish(-1, e));
    child.on('close', (code, signal) => finish(code ?? signalCode(signal)));
    // a command that does not read its stdin must not make us crash with EPIPE
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}
