import type { ConfigIssue } from './issue';
import type { LoadFailure } from './load-worker-protocol';
import type { FileTarget } from './target-file';
import type { TargetGroupConfig } from './types';

/** The target file worker's workerData: the file's bytes (transferred, not copied) and its group. */
export interface TargetFileRequest {
  readonly bytes: Uint8Array;
  readonly file: string;
  readonly group: TargetGroupConfig;
}

/** The worker's one message: the file's targets, the issues of a rejected file, or a crash. */
export type TargetFileReply =
  | { readonly targets: FileTarget[] }
  | { readonly issues: readonly ConfigIssue[]; readonly omitted: number; readonly omittedAtLeast: boolean }
  | { readonly failure: LoadFailure };
