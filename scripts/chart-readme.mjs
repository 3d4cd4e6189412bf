#!/usr/bin/env node
// Writes the values table of a chart's README.md from its values.yaml, helm-docs style: a row per key
// documented by a "# -- " comment (continued by the "#" lines below it, up to the key), its type (from
// values.schema.json when it says, else from the default) and its default. Only the text between the
// README's two markers is written; the rest is prose kept by hand.
//
//   node scripts/chart-readme.mjs [CHART_DIR]           rewrite the table
//   node scripts/chart-readme.mjs --check [CHART_DIR]   exit 1, saying so, when the table is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const TABLE_START = '<!-- values-table: written by scripts/chart-readme.mjs from values.yaml -->';
const TABLE_END = '<!-- values-table: end -->';

/** The documented keys of a values.yaml text, in file order: { path: ['a', 'b'], description }. */
function documentedKeys(text) {
  const keys = [];
  const stack = []; // { indent, key } with key null for a sequence item
  let description = null;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    const body = line.trim();
    if (body === '') continue;
    if (body.startsWith('#')) {
      if (body.startsWith('# -- ')) description = [body.slice(5).trim()];
      else if (description !== null) description.push(body.replace(/^#\s?/, '').trim());
      continue;
    }
    while (stack.length > 0 && stack.at(-1).indent >= indent) stack.pop();
    const item = /^-(\s|$)/.test(body);
    const key = item
      ? null
      : /^("[^"]+"|'[^']+'|[^\s:#'"][^:#]*?):(\s|$)/.exec(body)?.[1]?.replace(/^["']|["']$/g, '');
    stack.push({ indent, key: key ?? null });
    if (key && description !== null && stack.every((entry) => entry.key !== null))
      keys.push({
        path: stack.map((entry) => entry.key),
        description: description.join(' ').replace(/\s+/g, ' '),
      });
    description = null;
  }
  return keys;
}

const at = (value, path) => path.reduce((node, key) => (node == null ? undefined : node[key]), value);

function schemaAt(schema, path) {
  let node = schema;
  for (const key of path)
    node =
      node?.properties?.[key] ??
      (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined);
  return node;
}

function typeOf(schema, value) {
  const types = (node) => (node?.oneOf ?? node?.anyOf ?? [node]).flatMap((n) => n?.type ?? []);
  const declared = types(schema);
  if (declared.length > 0) return declared.join(' or ');
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value;
}

const cell = (text) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The values table, as Markdown, of a chart directory. */
function valuesTable(chart) {
  const text = readFileSync(join(chart, 'values.yaml'), 'utf8');
  const values = parse(text);
  let schema = {};
  try {
    schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'));
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  const rows = documentedKeys(text).map(({ path, description }) => {
    const value = at(values, path);
    const type = typeOf(schemaAt(schema, path), value);
    return `| \`${cell(path.join('.'))}\` | ${cell(type)} | \`${cell(JSON.stringify(value ?? null))}\` | ${cell(description)} |`;
  });
  return ['| Key | Type | Default | Description |', '|-----|------|---------|-------------|', ...rows].join(
    '\n',
  );
}

/** README text with its table replaced by the current one. */
function withTable(readme, table) {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`README.md lacks the markers ${TABLE_START} ... ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}

const args = process.argv.slice(2);
const check = args.includes('--check');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const chart = resolve(args.find((arg) => arg !== '--check') ?? join(root, 'helm', 'netdiag-exporter'));
const file = join(chart, 'README.md');
const readme = readFileSync(file, 'utf8');
const current = withTable(readme, valuesTable(chart));
if (check) {
  if (current !== readme) {
    process.stderr.write(`${file}: the values table is stale; run node scripts/chart-readme.mjs\n`);
    process.exit(1);
  }
} else if (current !== readme) writeFileSync(file, current);
