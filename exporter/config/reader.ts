import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, Scalar } from 'yaml';
import type { ConfigIssue } from './issue';
import { childIndex, childKey, displayPath, ROOT_PATH } from './key-path';
import { MAX_REPORTED_ISSUES } from './limits';
import { scalarText, type YamlDocument } from './yaml-document';

/** A value of the document with its key path and the offset errors about it point at. */
export interface Field {
  /** The value; an alias is replaced by its anchored node. */
  readonly node: Node;
  /** Where the value is written: the alias rather than its anchor. */
  readonly offset: number;
  readonly path: string;
}

export interface Entry {
  readonly key: Field;
  readonly value: Field;
}

/**
 * Walks a YAML document and collects issues; readers of each part of the config take it. The first
 * MAX_REPORTED_ISSUES issues are kept, later ones only counted: validating a file of many bad
 * items then costs a counter per error, not a message.
 */
export class Reader {
  private readonly found: ConfigIssue[] = [];
  /** Issues reported beyond those kept. */
  private dropped = 0;

  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly document: YamlDocument,
  ) {}

  /** The issues so far, in the order of the text. */
  get issues(): ConfigIssue[] {
    return [...this.found].sort((a, b) => a.line - b.line || a.column - b.column);
  }

  /** Issues found but not kept. */
  get omitted(): number {
    return this.dropped;
  }

  /** Whether any issue was reported, kept or not. */
  get failed(): boolean {
    return this.found.length > 0 || this.dropped > 0;
  }

  report(at: { readonly offset: number; readonly path: string }, message: string): void {
    if (this.found.length >= MAX_REPORTED_ISSUES) this.dropped++;
    else this.found.push(issueAt(this.file, this.lines, at, message));
  }

  /** Reports `expected WHAT, got …` and returns undefined, for `return r.expected(…)`. */
  expected(field: Field, what: string): undefined {
    this.report(field, `expected ${what}, got ${describe(field.node)}`);
    return undefined;
  }

  line(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  root(): Field | undefined {
    const contents = this.document.doc.contents;
    return contents ? this.field(contents, ROOT_PATH, 0) : undefined;
  }

  /** The entries of a mapping; duplicate keys and keys outside `allowed` are reported and left out. */
  map(field: Field, allowed?: readonly string[]): Map<string, Entry> | undefined {
    if (!isMap(field.node)) return this.expected(field, 'a mapping');
    const entries = new Map<string, Entry>();
    const seen = new Map<string, Field>();
    for (const pair of field.node.items) {
      const keyOffset = offsetOf(pair.key, field.offset);
      const keyNode = this.resolve(pair.key);
      if (!isScalar(keyNode) || keyNode.value === null) {
        this.report({ offset: keyOffset, path: field.path }, 'keys must be strings');
        continue;
      }
      const name = scalarText(keyNode);
      const key: Field = { node: keyNode, offset: keyOffset, path: childKey(field.path, name) };
      const first = seen.get(name);
      if (first) {
        this.report(key, `duplicate key ${quote(name)} (first at line ${this.line(first.offset)})`);
        continue;
      }
      seen.set(name, key);
      if (allowed && !allowed.includes(name)) {
        this.report(key, `unknown key ${quote(name)}; allowed keys: ${allowed.join(', ')}`);
        continue;
      }
      const valueOffset = pair.value ? offsetOf(pair.value, keyOffset) : endOf(pair.key, keyOffset);
      entries.set(name, { key, value: this.field(pair.value, key.path, valueOffset) });
    }
    return entries;
  }

  /** The items of a sequence. */
  seq(field: Field): Field[] | undefined {
    if (!isSeq(field.node)) return this.expected(field, 'a sequence');
    return field.node.items.map((item, index) =>
      this.field(item, childIndex(field.path, index), offsetOf(item, field.offset)),
    );
  }

  private field(node: unknown, path: string, offset: number): Field {
    return { node: this.resolve(node), offset, path };
  }

  private resolve(node: unknown): Node {
    if (isAlias(node)) return this.document.aliasTargets.get(node) ?? node;
    return isScalar(node) || isMap(node) || isSeq(node) ? node : new Scalar(null);
  }
}

/** An issue at an offset of the text. */
export function issueAt(
  file: string,
  lines: LineCounter,
  at: { readonly offset: number; readonly path: string },
  message: string,
): ConfigIssue {
  const { line, col } = lines.linePos(at.offset);
  return { file, line, column: col, path: displayPath(at.path), message };
}

/** The value of an optional key: absent, or set to null (`key:` or `key: ~`) meaning the default. */
export function present(entry: Entry | undefined): Field | undefined {
  return entry && !isNull(entry.value) ? entry.value : undefined;
}

export function isNull(field: Field): boolean {
  return isScalar(field.node) && field.node.value === null;
}

/** What a node is, for `expected …, got …`. */
function describe(node: Node): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a sequence';
  if (!isScalar(node)) return 'an alias';
  const value = node.value;
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number') return `the number ${scalarText(node)}`;
  if (typeof value === 'boolean') return `the boolean ${scalarText(node)}`;
  return `a ${typeof value}`;
}

/** A string for a message, cut short if long. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 61)}...` : text);
}

function offsetOf(node: unknown, fallback: number): number {
  return (node as { range?: readonly number[] | null } | null)?.range?.[0] ?? fallback;
}

function endOf(node: unknown, fallback: number): number {
  return (node as { range?: readonly number[] | null } | null)?.range?.[1] ?? fallback;
}
