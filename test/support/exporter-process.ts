import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Netns } from '../lab';
import { cliPath } from './paths';
import { parseSamples, type Sample } from './scrape';

export interface ExporterProcess {
  readonly url: string;
  /** The config file it runs on (rewrite it, then reload). */
  readonly file: string;
  readonly pid: number;
  readonly logs: () => string;
  /** GET a path of the exporter from inside its namespace. */
  get(pathname: string): Promise<{ status: number; body: string }>;
  /** POST to a path of the exporter from inside its namespace. */
  post(pathname: string): Promise<{ status: number; body: string }>;
  scrape(): Promise<Sample[]>;
  /**
   * SIGTERMs it (if still running) and resolves with its exit code, or the name of the signal that
   * ended it; when that is not 0, its last log lines go to stderr (for the CI log).
   */
  stop(): Promise<number | NodeJS.Signals>;
}

/**
 * Writes `config` to a temporary file and runs the exporter on it inside `ns`, listening on
 * 127.0.0.1:port; `wrapper` runs it (e.g. `['prlimit', '--nofile=1024:1024']`), by default nothing.
 */
export async function startExporter(
  ns: Netns,
  config: string,
  port = 9469,
  extraArgs: readonly string[] = [],
  wrapper: readonly string[] = [],
): Promise<ExporterProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-e2e-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, config, { mode: 0o644 });
  // Started as root, the exporter switches to nobody once its sockets are open: reloads read the
  // file as nobody.
  chmodSync(dir, 0o755);
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = ns.spawn([
    ...wrapper,
    'node',
    cliPath,
    `--config.file=${file}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=debug',
    ...extraArgs,
  ]);
  let logs = '';
  child.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );

  const request = async (pathname: string, method = 'GET'): Promise<{ status: number; body: string }> => {
    const { stdout, code } = await ns.exec(
      ['curl', '-s', '-X', method, '-w', '\n%{http_code}', `${url}${pathname}`],
      { check: false },
    );
    if (code !== 0) return { status: 0, body: '' };
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  };
  const get = (pathname: string) => request(pathname);
  for (let attempt = 0; ; attempt++) {
    if ((await get('/-/healthy')).status === 200) break;
    if (attempt > 100 || child.exitCode !== null) throw new Error(`the exporter did not start:\n${logs}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    file,
    pid: child.pid ?? 0,
    logs: () => logs,
    get,
    post: (pathname) => request(pathname, 'POST'),
    scrape: async () => parseSamples((await get('/metrics')).body),
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) {
        const tail = logs.trimEnd().split('\n').slice(-20).join('\n');
        process.stderr.write(
          `exporter ${child.pid} in ${ns.name} ended with ${code}; its last log lines:\n${tail}\n`,
        );
      }
      return code;
    },
  };
}
