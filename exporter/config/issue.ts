import { ExporterError } from '../errors';

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

/** Every problem found in a config file; the message lists them one per line. */
export class ConfigError extends ExporterError {
  declare readonly code: 'ERR_CONFIG';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('ERR_CONFIG', issues.map(formatIssue).join('\n'));
    this.issues = Object.freeze([...issues]);
  }
}
