import type { ConfigParts } from './config-transfer';
import type { ConfigIssue } from './issue';

/** The worker's workerData: the file to load. */
export interface LoadRequest {
  readonly file: string;
}

/** The worker's one message: the config (splitConfig's parts), the issues of a rejected file, or a crash. */
export type LoadReply =
  | { readonly parts: ConfigParts }
  | { readonly issues: readonly ConfigIssue[]; readonly omitted: number; readonly omittedAtLeast: boolean }
  | { readonly failure: { readonly message: string; readonly stack?: string } };
