import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../test/support/paths';
import { snapshot } from './fixtures/bench-env';

/**
 * Replaces the section `## NAME` of bench/results.md with the new figures (run from a copy made by
 * bench/snapshot.sh: the results file of the working tree it was copied from).
 */
export function writeResults(section: string, body: string): void {
  const file = path.join(snapshot()?.source || repoRoot, 'bench', 'results.md');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text =
      '# Benchmark results\n\nFigures printed by the scripts in bench/, on the 2-core development machine.\n';
  }
  const heading = `## ${section}`;
  // the whole heading line: `## Exporter` must not find `## Exporter, unpinned`
  const start = text.indexOf(`${heading}\n`);
  const next = start < 0 ? -1 : text.indexOf('\n## ', start + heading.length);
  const block = `${heading}\n\n${body}\n`;
  text =
    start < 0
      ? `${text.trimEnd()}\n\n${block}`
      : `${text.slice(0, start)}${block}${next < 0 ? '' : `\n${text.slice(next + 1)}`}`;
  writeFileSync(file, text);
}

/** Prints the lines of a benchmark's report and writes them as section `## NAME` of bench/results.md. */
export function publishResults(section: string, lines: readonly string[]): void {
  const body = lines.join('\n');
  console.log(body);
  writeResults(section, body);
}

/** Runs a benchmark's main: a failure prints its stack and sets a failing exit code. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
