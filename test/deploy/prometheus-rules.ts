import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../support/paths';

/** The rules file users load, and the promtool unit tests beside it. */
export const rulesFile = path.join(repoRoot, 'deploy', 'prometheus', 'netdiag-rules.yml');
export const rulesTestsDir = path.join(repoRoot, 'deploy', 'prometheus', 'tests');
/** The chart's copy, which `.Files.Get` reads: byte-identical to `rulesFile`. */
export const chartRulesFile = path.join(repoRoot, 'helm', 'netdiag-exporter', 'files', 'netdiag-rules.yml');

export interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

export function parseRules(text: string): RuleGroup[] {
  return (parse(text) as { groups: RuleGroup[] }).groups;
}

export const loadRules = (): RuleGroup[] => parseRules(readFileSync(rulesFile, 'utf8'));

export const alertsOf = (groups: readonly RuleGroup[]): Rule[] =>
  groups.flatMap((g) => g.rules.filter((r) => r.alert !== undefined));

/**
 * `# threshold: NAME` marks the number that ends its expression line: the chart replaces it with
 * `prometheusRule.alerts.<Alert>.thresholds.NAME`. The same pattern as the chart's template.
 */
export const THRESHOLD_LINE = /(-?[0-9][0-9.]*(?:e[+-]?[0-9]+)?)( +# threshold: ([a-z_]+))$/gm;

/** The thresholds of one expression, by name (a name may mark several places of one value). */
export function thresholdsOf(expr: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const [, value, , name] of expr.matchAll(THRESHOLD_LINE)) found.set(name!, Number(value));
  return found;
}

/**
 * Returns the text of the rules file with each alert's `for` replaced by `durations[alert]`, the
 * expressions untouched: the end-to-end test's way to wait seconds instead of minutes.
 */
export function withForDurations(text: string, durations: Readonly<Record<string, string>>): string {
  let alert: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      alert = /^\s*- alert: (\S+)/.exec(line)?.[1] ?? alert;
      const forLine = /^(\s+for: )\S+$/.exec(line);
      return forLine && alert !== undefined && durations[alert] !== undefined
        ? `${forLine[1]}${durations[alert]}`
        : line;
    })
    .join('\n');
}
