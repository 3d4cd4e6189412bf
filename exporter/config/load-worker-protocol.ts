import type { ConfigParts } from './config-transfer';
import type { ConfigIssue } from './issue';
import { ExporterError } from '../errors';

/** The worker's workerData: the file to load. */
export interface LoadRequest {
  readonly file: string;
}

/**
 * A failure other than the file's content, as it crosses the thread: structured clone keeps an
 * Error's message and stack but not its class, so the code (ENOMEM, ERR_CAPACITY, ...) travels as
 * a field of its own.
 */
export interface LoadFailure {
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
}

/** The worker's one message: the config (splitConfig's parts), the issues of a rejected file, or a crash. */
export type LoadReply =
  | { readonly parts: ConfigParts }
  | { readonly issues: readonly ConfigIssue[]; readonly omitted: number; readonly omittedAtLeast: boolean }
  | { readonly failure: LoadFailure };

/** The worker's side: what of `error` crosses the thread. */
export function loadFailureOf(error: unknown): LoadFailure {
  if (!(error instanceof Error)) return { message: String(error) };
  const { message, stack } = error;
  const code = (error as { code?: unknown }).code;
  return {
    message,
    ...(typeof code === 'string' && { code }),
    ...(stack !== undefined && { stack }),
  };
}

/**
 * The worker's error rebuilt on the caller's side: its code is whatever the worker's error had (a
 * Node code such as ENOMEM, or one of the catalogue's), so it is a cause, never thrown on its own.
 */
class WorkerFailure extends Error {
  override readonly name = 'WorkerFailure';
  readonly code: string | undefined;
  constructor(failure: LoadFailure) {
    super(failure.message);
    this.code = failure.code;
    if (failure.stack !== undefined) this.stack = failure.stack;
  }
}

/** The caller's side: ERR_CONFIG_LOAD, caused by the worker's error with its code and stack. */
export function loadErrorOf(failure: LoadFailure): ExporterError {
  return new ExporterError('ERR_CONFIG_LOAD', `config worker: ${failure.message}`, {
    cause: new WorkerFailure(failure),
  });
}
