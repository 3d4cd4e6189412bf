import type { LineCounter } from 'yaml';
import { decodeConfigText } from './decode';
import { ConfigError } from './issue';
import { displayPath, ROOT_PATH } from './key-path';
import { issueAt, Reader } from './reader';
import { parseYaml } from './yaml-document';

/** A YAML file of the exporter's, ready to be read key by key. */
export interface OpenDocument {
  readonly r: Reader;
  readonly lines: LineCounter;
}

/**
 * The steps every YAML file of the exporter (the config, the web config) takes before its keys are
 * read: decode the bytes (UTF-8, no NUL, within the size limit), parse one YAML document, wrap it
 * in a Reader. A problem at any step is a ConfigError located in `file`.
 */
export function openConfigDocument(text: string | Buffer, file: string): OpenDocument {
  const decoded = decodeConfigText(text);
  if (typeof decoded !== 'string') {
    const { line, column, message } = decoded;
    throw new ConfigError([{ file, line, column, path: displayPath(ROOT_PATH), message }]);
  }
  const { lines, document, problems } = parseYaml(decoded);
  if (!document)
    throw new ConfigError(problems.map((problem) => issueAt(file, lines, problem, problem.message)));
  return { r: new Reader(file, lines, document), lines };
}
