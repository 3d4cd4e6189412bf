import { ExporterError } from '../errors';
import { MAX_ISSUE_PATH_CHARS, MAX_REPORTED_ISSUES } from './limits';

/** One problem in a config file. `line` and `column` are 1-based; `path` is e.g. `targets[2].ping.interval`. */
export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** `(root)` when the document as a whole is wrong. */
  path: string;
  message: string;
}

/** `FILE:LINE:COL: key.path: message` */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.path}: ${issue.message}`;
}

/**
 * `FILE:LINE:COL: key.path: message` with no text of the file but its key path (cut short if long):
 * quoted values become "…", and a YAML syntax error keeps only its description. For what reaches
 * clients or logs (the reload reply, log lines): a config path pointed at a file that is not a
 * config (/etc/shadow, a key) must not leak its content through the error.
 */
export function formatPublicIssue(issue: ConfigIssue): string {
  const path =
    issue.path.length > MAX_ISSUE_PATH_CHARS ? `${issue.path.slice(0, MAX_ISSUE_PATH_CHARS)}…` : issue.path;
  return `${issue.file}:${issue.line}:${issue.column}: ${path}: ${publicMessage(issue.message)}`;
}

/** A string in double quotes, JSON-escaped (how messages quote values: see reader.ts `quote`). */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

function publicMessage(message: string): string {
  // yaml's own messages name tags, anchors and snippets after a colon: keep what went wrong only.
  const yaml = /^invalid YAML: ([^:\n]*)/.exec(message);
  const text = yaml ? `invalid YAML: ${yaml[1]!.trim()}` : message;
  return text.replace(QUOTED, '"…"').replace(/\s+/g, ' ');
}

/** Every line of `formatIssues` for an error, then `… and N more errors` when some were left out. */
function withOmitted(lines: string[], error: ConfigError): string {
  if (error.omitted > 0) lines.push(moreErrors(error.omitted, error.omittedAtLeast));
  return lines.join('\n');
}

/** The error's issues as formatIssue lines, and how many more there were. */
export function formatIssues(error: ConfigError): string {
  return withOmitted(error.issues.map(formatIssue), error);
}

/** The error's issues as formatPublicIssue lines, and how many more there were. */
export function formatPublicIssues(error: ConfigError): string {
  return withOmitted(error.issues.map(formatPublicIssue), error);
}

export function moreErrors(count: number, atLeast: boolean): string {
  return `… and ${atLeast ? 'at least ' : ''}${count} more error${count === 1 ? '' : 's'}`;
}

export interface ConfigErrorOptions {
  /** Issues found but not listed (beyond MAX_REPORTED_ISSUES); default 0. */
  omitted?: number;
  /** Validation stopped early: `omitted` is a lower bound. Default false. */
  omittedAtLeast?: boolean;
}

/**
 * Problems found in a config file; the message lists them one per line. At most
 * MAX_REPORTED_ISSUES are kept (the first ones given), the others only counted: a file of two
 * million errors must not become a reply and a log line of hundreds of megabytes.
 */
export class ConfigError extends ExporterError {
  declare readonly code: 'ERR_CONFIG';
  readonly issues: readonly ConfigIssue[];
  /** Issues found beyond those listed. */
  readonly omitted: number;
  /** Whether `omitted` is a lower bound (validation stopped before the end of the file). */
  readonly omittedAtLeast: boolean;

  constructor(issues: readonly ConfigIssue[], options: ConfigErrorOptions = {}) {
    const kept = issues.slice(0, MAX_REPORTED_ISSUES);
    const omitted = issues.length - kept.length + (options.omitted ?? 0);
    const omittedAtLeast = options.omittedAtLeast ?? false;
    const lines = kept.map(formatIssue);
    if (omitted > 0) lines.push(moreErrors(omitted, omittedAtLeast));
    super('ERR_CONFIG', lines.join('\n'));
    this.issues = Object.freeze(kept);
    this.omitted = omitted;
    this.omittedAtLeast = omittedAtLeast;
  }
}
