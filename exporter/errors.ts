/** Stable codes of the errors the exporter and its CLI report. */
export type ExporterErrorCode =
  | 'ERR_USAGE'
  | 'ERR_RESOLVE'
  | 'ERR_CONFIG'
  /** Loading the config failed for a reason other than its content (the worker could not run: EMFILE, ...). */
  | 'ERR_CONFIG_LOAD'
  /** A config needs more than the process has: ICMP identifiers, source ports or descriptors. */
  | 'ERR_CAPACITY';

export class ExporterError extends Error {
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
