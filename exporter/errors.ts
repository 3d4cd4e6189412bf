// Type only: the config worker thread loads this file, and the library's entry would load the
// raw-socket addon, which cannot be loaded in a worker ("Module did not self-register").
import type { CodedError } from '../probes';

/**
 * Stable codes of the errors the exporter and its CLI throw or log, the same shape as the probes
 * library's catalogue (probes/errors.ts): a constant list, a type derived from it, one Error class.
 * Codes never change once released (log searches and alerts depend on them); each is documented in
 * docs/errors.md, and a test fails when one is missing there. The probes' own codes stay in the
 * library, which imports nothing from here.
 */
export const EXPORTER_ERROR_CODES = [
  'ERR_USAGE',
  'ERR_RESOLVE',
  'ERR_CONFIG',
  /** Loading the config failed for a reason other than its content (the worker could not run: EMFILE, ...). */
  'ERR_CONFIG_LOAD',
  /** A config needs more than the process has: ICMP identifiers, source ports or descriptors. */
  'ERR_CAPACITY',
  /** Used after close(): the agent, the config loader. The same meaning as the library's code. */
  'ERR_CLOSED',
  /** A reload changes `bind`, whose new raw sockets this process can no longer open. */
  'ERR_RELOAD_NEEDS_RESTART',
  /** A reload failed midway and the running config could not be reopened either: retried. */
  'ERR_ROLLBACK_FAILED',
  /** A file the exporter is configured with is a directory, FIFO, device or socket. */
  'ERR_NOT_REGULAR_FILE',
  /** An option given in code is out of range: the same meaning as the library's code. */
  'ERR_INVALID_OPTION',
  /** The HTTP server cannot listen on --web.listen-address: in use, a privileged port, no such address. */
  'ERR_LISTEN',
  /** The status page's files (exporter/status/public) cannot be read: the exporter runs without the page. */
  'ERR_STATUS_PAGE_FILES',
  /** An OTLP push failed without an error of its own. */
  'ERR_OTLP_EXPORT',
  /** An invariant of the code does not hold: a bug, never bad input. */
  'ERR_INTERNAL',
  // Codes of log lines only (no error object carries them).
  /** A target file of a target group cannot be read, is invalid, or clashes: its last good content stays. */
  'ERR_TARGET_FILE',
  'ERR_HTTP_CONNECTION_LIMIT',
  'ERR_HTTP_IDLE_TIMEOUT',
  'ERR_HTTP_CLOSE_TIMEOUT',
  'ERR_SHUTDOWN_STEP',
  'ERR_SHUTDOWN_TIMEOUT',
  /** The exporter could not start itself again with MALLOC_ARENA_MAX (exporter/cli/malloc-arenas.ts): it runs on. */
  'ERR_REEXEC',
  /** What errorCode() reports for an error that carries no code of its own. */
  'ERR_UNKNOWN',
] as const;

export type ExporterErrorCode = (typeof EXPORTER_ERROR_CODES)[number];

/** The library's CodedError shape, implemented rather than inherited (see the import above). */
export class ExporterError extends Error implements CodedError<ExporterErrorCode> {
  override readonly name = 'ExporterError';
  constructor(
    readonly code: ExporterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (message: string): ExporterError => new ExporterError('ERR_USAGE', message);

/** The stable code of any error, for log lines: ours, Node's (EMFILE, ...) or ERR_UNKNOWN. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : 'ERR_UNKNOWN';
}
