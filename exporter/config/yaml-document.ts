import {
  type Alias,
  type Document,
  isAlias,
  isPair,
  isScalar,
  isSeq,
  Composer,
  CST,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  type Scalar,
  visit,
  type YAMLError,
} from 'yaml';
import { childIndex, childKey, ROOT_PATH } from './key-path';
import { MAX_ALIAS_COUNT, MAX_NESTING, MAX_YAML_ENTRIES } from './limits';
import { ExporterError } from '../errors';

/** A parsed YAML document with what is needed to point into its text. */
export interface YamlDocument {
  readonly doc: Document.Parsed;
  /** The anchored node of every alias that has one. */
  readonly aliasTargets: ReadonlyMap<Alias, Node>;
}

/** A problem at an offset of the text. */
export interface YamlProblem {
  offset: number;
  path: string;
  message: string;
}

export interface ParsedYaml {
  readonly lines: LineCounter;
  /** Unset when there are problems. */
  readonly document?: YamlDocument;
  readonly problems: readonly YamlProblem[];
}

/**
 * Parses one YAML document, as yaml's parseDocument() does but checking nesting depth between its
 * two steps. Syntax errors, unresolved aliases and alias bombs are problems; duplicate keys are left
 * for the reader, which knows their key paths.
 */
export function parseYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  const tooMany = entriesProblem(text);
  if (tooMany) {
    // The offset is in the text; the line counter needs the line starts before it, as the parser gives them.
    lines.addNewLine(0);
    for (let at = text.indexOf('\n'); at !== -1 && at < tooMany.offset; at = text.indexOf('\n', at + 1))
      lines.addNewLine(at + 1);
    return { lines, problems: [tooMany] };
  }
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const tooDeep = nestingProblem(tokens);
  if (tooDeep) return { lines, problems: [tooDeep] };
  const { doc, problems } = composeOne(tokens, text.length);
  const aliasTargets = new Map<Alias, Node>();
  if (problems.length === 0) problems.push(...resolveAliases(doc, aliasTargets));
  if (problems.length === 0) problems.push(...checkAliasBomb(doc));
  return problems.length === 0 ? { lines, document: { doc, aliasTargets }, problems } : { lines, problems };
}

/**
 * yaml's composer recurses once per nesting level: a few thousand levels overflow the stack, and in
 * Node 20 a later overflow can abort the process in V8's RegExp compiler. Its CST parser does not
 * recurse, so depth is measured on the CST, without recursing either.
 */
function nestingProblem(tokens: readonly CST.Token[]): YamlProblem | undefined {
  const stack: Array<[unknown, number]> = tokens.map((token) => [token, 0]);
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [token, outer] = entry;
    if (typeof token !== 'object' || token === null) continue;
    const { type, offset, value, items } = token as NestingToken;
    const depth = COLLECTIONS.has(type) ? outer + 1 : outer;
    if (depth > MAX_NESTING) {
      return {
        offset,
        path: ROOT_PATH,
        message: `invalid YAML: collections nested deeper than ${MAX_NESTING} levels`,
      };
    }
    stack.push([value, depth]);
    for (const item of items ?? []) stack.push([item.key, depth], [item.value, depth]);
  }
  return undefined;
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/** Lexemes that each start or add one collection entry. */
const ENTRY_TOKENS = new Set<string | null>([
  'seq-item-ind',
  'map-value-ind',
  'explicit-key-ind',
  'comma',
  'flow-map-start',
  'flow-seq-start',
]);

/** Markers the lexer inserts that are not text of the source (document start, flow end, scalar start). */
const CONTROL_LEXEMES = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);

/**
 * Counts collection entries on yaml's lexer, which holds no tree (a few strings at a time), and
 * stops at the first one over MAX_YAML_ENTRIES: the CST and the document, built next, cost memory
 * per entry, and a file of tiny entries would otherwise take gigabytes before any check ran.
 */
function entriesProblem(text: string): YamlProblem | undefined {
  let entries = 0;
  let offset = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (ENTRY_TOKENS.has(CST.tokenType(lexeme)) && ++entries > MAX_YAML_ENTRIES) {
      return {
        offset,
        path: ROOT_PATH,
        message: `too many YAML entries: the limit is ${MAX_YAML_ENTRIES} (sequence items, mapping keys and flow collections together)`,
      };
    }
    if (!CONTROL_LEXEMES.has(lexeme)) offset += lexeme.length;
  }
  return undefined;
}

/** The parts of CST tokens that nest. */
interface NestingToken {
  type: string;
  offset: number;
  value?: unknown;
  items?: Array<{ key?: unknown; value?: unknown }>;
}

function composeOne(
  tokens: readonly CST.Token[],
  end: number,
): { doc: Document.Parsed; problems: YamlProblem[] } {
  let doc: Document.Parsed | undefined;
  const problems: YamlProblem[] = [];
  for (const next of new Composer({ uniqueKeys: false }).compose(tokens, true, end)) {
    if (doc) {
      problems.push({
        offset: next.range[0],
        path: ROOT_PATH,
        message: 'invalid YAML: the config must be a single YAML document',
      });
      break;
    }
    doc = next;
  }
  // compose() always yields a document when forced to.
  if (!doc) throw new ExporterError('ERR_INTERNAL', 'yaml composed no document');
  problems.unshift(...[...doc.errors, ...doc.warnings].map(yamlProblem));
  return { doc, problems };
}

function yamlProblem(error: YAMLError): YamlProblem {
  return {
    offset: error.pos[0],
    path: ROOT_PATH,
    message: `invalid YAML: ${error.message.replace(/\s+/g, ' ').trim()}`,
  };
}

/** Alias.resolve() walks the whole document on each call; one walk resolves them all. */
function resolveAliases(doc: Document.Parsed, targets: Map<Alias, Node>): YamlProblem[] {
  const problems: YamlProblem[] = [];
  const anchored = new Map<string, Node>();
  visit(doc, {
    Node(_key, node, ancestors) {
      if (isAlias(node)) {
        const target = anchored.get(node.source);
        if (target) targets.set(node, target);
        else
          problems.push({
            offset: node.range?.[0] ?? 0,
            path: pathOf(ancestors, node),
            message: `alias *${node.source} refers to no anchor &${node.source} before it`,
          });
      } else if (node.anchor) {
        anchored.set(node.anchor, node);
      }
    },
  });
  return problems;
}

/** Expands the document as yaml's toJS() would, which counts how often each anchor is copied. */
function checkAliasBomb(doc: Document.Parsed): YamlProblem[] {
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return [];
  } catch (error) {
    if (!(error instanceof ReferenceError && error.message.startsWith('Excessive alias count'))) throw error;
    const message = `aliases expand too much: the limit is ${MAX_ALIAS_COUNT} copies of an anchor, nested copies multiplied`;
    return [{ ...firstAlias(doc), message }];
  }
}

/** toJS() does not say which alias went over the limit: point at the first one. */
function firstAlias(doc: Document.Parsed): { offset: number; path: string } {
  let found = { offset: 0, path: ROOT_PATH };
  visit(doc, {
    Alias(_key, node, ancestors) {
      found = { offset: node.range?.[0] ?? 0, path: pathOf(ancestors, node) };
      return visit.BREAK;
    },
  });
  return found;
}

function pathOf(ancestors: readonly unknown[], node: unknown): string {
  const chain = [...ancestors, node];
  let path = ROOT_PATH;
  for (let i = 0; i + 1 < chain.length; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && child === parent.value) path = childKey(path, keyText(parent.key));
    else if (isSeq(parent)) path = childIndex(path, parent.items.indexOf(child));
  }
  return path;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return scalarText(key);
  return isAlias(key) ? `*${key.source}` : '?';
}

/** A string scalar's value; any other scalar as written (`01` stays `01`). */
export function scalarText(scalar: Scalar): string {
  return typeof scalar.value === 'string' ? scalar.value : (scalar.source ?? String(scalar.value));
}
