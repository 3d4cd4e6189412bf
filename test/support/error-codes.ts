import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** The code lists of each layer, by the layer name docs/errors.md gives them. */
export type Catalogues = Readonly<Record<string, readonly string[]>>;

/** Where the tree and docs/errors.md disagree. */
export interface ErrorCodeProblem {
  readonly code: string;
  readonly problem: 'undocumented' | 'no-longer-exists' | 'wrong-layer' | 'documented-twice' | 'no-advice';
  /** For wrong-layer: what the docs say, and what the tree says. */
  readonly documented?: string;
  readonly expected?: string;
}

/** Layer of a code written as a literal in the tree but defined by no catalogue: one of Node's. */
export const FOREIGN_LAYER = 'node';

const CODE = /^ERR_[A-Z0-9_]*[A-Z0-9]$/;

/**
 * The rule (fastify's lib/errors.js and its test are the model): every code in a catalogue, and every
 * `ERR_…` string literal in probes/ and exporter/ (a code logged or compared without an error class),
 * has one row in docs/errors.md, whose layer column names the catalogues that hold it (or `node`); and
 * every row names a code that still exists.
 */
export function findErrorCodeProblems(root: string, catalogues: Catalogues): ErrorCodeProblem[] {
  const expected = new Map<string, string>();
  for (const [layer, codes] of Object.entries(catalogues)) {
    for (const code of codes) {
      const layers = expected.get(code);
      expected.set(code, layers === undefined ? layer : `${layers}, ${layer}`);
    }
  }
  for (const code of literalCodes(root)) if (!expected.has(code)) expected.set(code, FOREIGN_LAYER);
  const problems: ErrorCodeProblem[] = [];
  const documented = new Map<string, string>();
  for (const { code, layer, meaning, action } of documentedCodes(
    readFileSync(path.join(root, 'docs', 'errors.md'), 'utf8'),
  )) {
    if (documented.has(code)) problems.push({ code, problem: 'documented-twice' });
    if (meaning === '' || action === '') problems.push({ code, problem: 'no-advice' });
    documented.set(code, layer);
  }
  for (const [code, layer] of expected) {
    const doc = documented.get(code);
    if (doc === undefined) problems.push({ code, problem: 'undocumented' });
    else if (doc !== layer) problems.push({ code, problem: 'wrong-layer', documented: doc, expected: layer });
  }
  for (const code of documented.keys())
    if (!expected.has(code)) problems.push({ code, problem: 'no-longer-exists' });
  return problems;
}

export interface DocumentedCode {
  readonly code: string;
  readonly layer: string;
  readonly meaning: string;
  readonly action: string;
}

/** The rows of docs/errors.md's table: `| \`ERR_X\` | layer | meaning | what to do |`. */
export function documentedCodes(markdown: string): DocumentedCode[] {
  const rows: DocumentedCode[] = [];
  for (const line of markdown.split('\n')) {
    if (!/^\|\s*`ERR_/.test(line)) continue;
    // Cells split at pipes not escaped as \| (none of ours holds one).
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    const code = /^`(ERR_[A-Z0-9_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (code === undefined) continue;
    rows.push({ code, layer: cells[1] ?? '', meaning: cells[2] ?? '', action: cells[3] ?? '' });
  }
  return rows;
}

/** Every `ERR_…` string literal in probes/ and exporter/ sources (comments do not count). */
export function literalCodes(root: string): Set<string> {
  const codes = new Set<string>();
  forEachNode(root, (node) => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && CODE.test(node.text))
      codes.add(node.text);
  });
  return codes;
}

/** Files of probes/ and exporter/ that build a plain `Error` instead of a catalogue error with a code. */
export function findPlainErrors(root: string): { file: string; line: number }[] {
  const found: { file: string; line: number }[] = [];
  forEachNode(root, (node, source, file) => {
    if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'Error'
    ) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push({ file: path.relative(root, file), line: line + 1 });
    }
  });
  return found;
}

function forEachNode(
  root: string,
  visit: (node: ts.Node, source: ts.SourceFile, file: string) => void,
): void {
  for (const dir of ['probes', 'exporter']) {
    const full = path.join(root, dir);
    if (!existsSync(full)) continue;
    for (const file of sourceFiles(full)) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const walk = (node: ts.Node): void => {
        visit(node, source, file);
        ts.forEachChild(node, walk);
      };
      walk(source);
    }
  }
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield full;
  }
}
