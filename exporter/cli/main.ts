#!/usr/bin/env node
import { ProbeError } from '../../probes';
import { ExporterError } from '../errors';

// Each command loads its own modules only. The exporter's (OpenTelemetry, YAML, HTTP) grew the heap of
// a one-shot probe enough to bring on a full garbage collection (mark-compact), which landed in the
// first knock's round trip and was measured as network delay.
const usage = async (): Promise<string> => `${(await import('./run-command')).RUN_USAGE}

netdiag-exporter ping HOST [options]   one-shot ICMP echo, like iputils ping (see: netdiag-exporter ping --help)
netdiag-exporter knock HOST PORT [options]  TCP SYN RTT and port state, like hping3 -S (see: netdiag-exporter knock --help)
netdiag-exporter trace HOST [options]  multipath traceroute, like traceroute -n (see: netdiag-exporter trace --help)
netdiag-exporter healthcheck [options]  exit 0 if the local exporter serves (for container health checks)
netdiag-exporter --version             version, git revision, Node.js version`;

/** Runs the CLI and returns the exit code: 0 success, 1 no reply, 2 bad usage or setup error. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  // A reader that went away (`| head`) ends the command quietly, as SIGPIPE ends a C tool.
  process.stdout.once('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const out = { write: (line: string) => process.stdout.write(`${line}\n`) };
  const err = (line: string): void => void process.stderr.write(`${line}\n`);
  try {
    switch (command) {
      case 'ping': {
        const { PING_USAGE, pingCommand } = await import('./ping-command');
        if (rest.includes('--help') || rest.includes('-h')) return help(PING_USAGE);
        return await pingCommand(rest, out, controller.signal);
      }
      case 'knock': {
        const { KNOCK_USAGE, knockCommand } = await import('./knock-command');
        if (rest.includes('--help') || rest.includes('-h')) return help(KNOCK_USAGE);
        return await knockCommand(rest, out, controller.signal);
      }
      case 'healthcheck': {
        const { HEALTHCHECK_USAGE, healthcheckCommand } = await import('./healthcheck-command');
        if (rest.includes('--help') || rest.includes('-h')) return help(HEALTHCHECK_USAGE);
        return await healthcheckCommand(rest, out);
      }
      case 'trace': {
        const { TRACE_USAGE, traceCommand } = await import('./trace-command');
        if (rest.includes('--help') || rest.includes('-h')) return help(TRACE_USAGE);
        return await traceCommand(rest, out, controller.signal);
      }
      case '--help':
      case '-help':
      case '-h':
        return help(await usage());
      case '--version':
      case '-version': {
        const { buildIdentity, versionText } = await import('./build-identity');
        return help(versionText(buildIdentity()));
      }
      default: {
        if (command !== undefined && !command.startsWith('-')) {
          err(`netdiag-exporter: unknown command "${command}"\n${await usage()}`);
          return 2;
        }
        if (argv.includes('--help') || argv.includes('-help') || argv.includes('-h'))
          return help(await usage());
        // Only as the process's own program: main() called from other code must not replace its process.
        if (require.main === module) await startWithArenaLimit();
        const { runCommand } = await import('./run-command');
        return await exitAtOnce(await runCommand(argv, { out: out.write, err }, controller.signal));
      }
    }
  } catch (error) {
    if (error instanceof ExporterError || error instanceof ProbeError || isArgError(error)) {
      process.stderr.write(`netdiag-exporter: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
}

/** The long-running exporter starts again with fewer malloc arenas (see malloc-arenas.ts); a failure only costs memory. */
async function startWithArenaLimit(): Promise<void> {
  const { processAddon } = await import('./process-addon');
  const { limitMallocArenas } = await import('./malloc-arenas');
  const addon = processAddon();
  const failed = limitMallocArenas(addon && ((file, argv, env) => addon.execNow(file, argv, env)));
  if (failed)
    process.stderr.write(
      `netdiag-exporter: ${failed.code}: ${failed.message}; running with glibc's default malloc arenas\n`,
    );
}

/**
 * Ends the exporter as soon as its teardown finished. Everything it opened is closed by then; what
 * can still hold the process is a DNS lookup in libuv's thread pool (getaddrinfo cannot be
 * cancelled, and exit(3) waits for the pool), which against a DNS server gone silent kept a
 * SIGTERMed exporter alive for the resolver's timeout × attempts × search domains: seconds, or past
 * Kubernetes' grace period. stdout and stderr are pipes, files or terminals, written synchronously
 * on Linux: nothing is lost.
 */
async function exitAtOnce(code: number): Promise<never> {
  const { exitNow } = await import('./exit-now');
  return exitNow(code);
}

function help(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

function isArgError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`netdiag-exporter: internal error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
