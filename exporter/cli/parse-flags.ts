import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../errors';
import { editDistance } from './edit-distance';

type FlagsConfig = ParseArgsConfig & { args: string[]; options: NonNullable<ParseArgsConfig['options']> };

/**
 * node:util's parseArgs, with two differences a user of Prometheus exporters meets:
 * - Go-style single-dash long flags (`-config.file=x`, `-json`) mean their double-dash form, as
 *   Go's flag package accepts both. A word that is not one of this command's long flags and starts
 *   with one of its short flags (`-c3`, `-qc`) keeps its meaning as short flags.
 * - An unknown flag is one line: `unknown flag --jsn; did you mean --json? see HELP`, instead of
 *   parseArgs' text about positional arguments.
 * Arguments after `--` are left alone. `help` is how to get the usage, e.g. `netdiag-exporter ping --help`.
 */
export function parseFlags<T extends FlagsConfig>(config: T, help: string): ReturnType<typeof parseArgs<T>> {
  const { options } = config;
  const shorts = new Set(Object.values(options).map((option) => option.short));
  const end = config.args.indexOf('--');
  const args = config.args.map((arg, index) => {
    if (end !== -1 && index >= end) return arg;
    const goStyle = /^-([A-Za-z][\w.-]+)(=.*)?$/s.exec(arg);
    if (!goStyle) return arg;
    const [, name = '', value = ''] = goStyle;
    if (name in options) return `--${name}${value}`;
    if (shorts.has(arg[1])) return arg;
    throw unknownFlag(`-${name}`, options, help);
  });
  try {
    return parseArgs({ ...config, args } as T);
  } catch (error) {
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    // Node's own parseArgs error (codes ERR_PARSE_ARGS_*), the unknown-option one told by its text.
    if (String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_') && unknown)
      throw unknownFlag(unknown[1] ?? '', options, help);
    throw error;
  }
}

function unknownFlag(flag: string, options: FlagsConfig['options'], help: string): Error {
  const suggestion = closestFlag(flag.replace(/=.*$/s, '').replace(/^-+/, ''), Object.keys(options));
  return usageError(
    `unknown flag ${flag.replace(/=.*$/s, '')}; ${suggestion ? `did you mean --${suggestion}? ` : ''}see ${help}`,
  );
}

/** The flag name nearest `name`, when it is near enough to be a slip (at most 2 edits, fewer than half its letters). */
function closestFlag(name: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of names) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && distance * 2 < candidate.length && (!best || distance < best.distance))
      best = { name: candidate, distance };
  }
  return best?.name;
}
