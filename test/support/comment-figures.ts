import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A comment line that looks like it carries a measured figure. */
export interface CommentFigure {
  /** The file, relative to the root. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly text: string;
}

const UNIT = String.raw`(?:ms|µs|us|ns|s|seconds?|MB|KB|GB|MiB|KiB|GiB|%|cores?)(?!\w)`;
const AMOUNT = String.raw`\d[\d.,–-]*\s*${UNIT}`;

/**
 * How a measured figure reads, as opposed to a default, a bound or an example: an approximate
 * amount (`~35 ms`, `about 6 µs`), CPU in cores, or an amount next to how it was measured
 * ("measured", "allocation sampling", "profile"), or a speed-up (`3x faster`). A heuristic: it
 * misses a figure written without these marks, and a line it flags may be reworded to say why.
 */
const MEASURED = [
  new RegExp(String.raw`(?:~|\babout |\baround |\broughly )${AMOUNT}`, 'i'),
  /\d[\d.,]*\s*cores?\b/i,
  new RegExp(String.raw`${AMOUNT}.*\bmeasured\b|\bmeasured\b.*${AMOUNT}`, 'i'),
  new RegExp(String.raw`${AMOUNT}.*\b(?:allocation sampling|profil|callgrind|flame ?graph)`, 'i'),
  /\d+(?:\.\d+)?\s*[x×]\s*(?:faster|slower)\b/i,
];

/**
 * Comment lines of probes/, exporter/ and the package entry that carry a measured figure. Figures
 * belong in bench/results.md, which says when, on what and how they were measured; a comment gives
 * the reason and points there (bench/ itself, the measuring code, may print figures).
 */
export function findFiguresInComments(root: string): CommentFigure[] {
  const files = [
    path.join(root, 'index.ts'),
    ...['probes', 'exporter'].flatMap((dir) => tsFiles(path.join(root, dir))),
  ];
  const found: CommentFigure[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((line, index) => {
      const comment = /^\s*(?:\/\/|\/\*\*?|\*)(.*)$/.exec(line)?.[1] ?? /\s\/\/\s(.*)$/.exec(line)?.[1];
      if (comment !== undefined && MEASURED.some((pattern) => pattern.test(comment)))
        found.push({ file: path.relative(root, file), line: index + 1, text: line.trim() });
    });
  }
  return found;
}

function tsFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}
