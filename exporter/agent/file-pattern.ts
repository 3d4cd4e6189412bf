import { readdir } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * The files an absolute pattern names now, sorted: a glob (`*`, `?`, `[…]`) in the last path
 * segment only, as Prometheus' file_sd allows. A directory that does not exist (yet) names none:
 * a generator may create it later, and the poll will find it.
 */
export async function filesMatching(pattern: string): Promise<string[]> {
  const directory = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!/[*?[]/.test(base)) return [pattern];
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  const matcher = globRegExp(base);
  return names
    .filter((name) => matcher.test(name))
    .sort()
    .map((name) => path.join(directory, name));
}

/** A regular expression of a glob over one path segment. */
function globRegExp(glob: string): RegExp {
  let source = '';
  for (let at = 0; at < glob.length; at++) {
    const character = glob[at]!;
    if (character === '*') source += '[^/]*';
    else if (character === '?') source += '[^/]';
    else if (character === '[') {
      const end = glob.indexOf(']', at + 2);
      if (end === -1) source += '\\[';
      else {
        const body = glob
          .slice(at + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        at = end;
      }
    } else source += character.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
