import { type Field, quote, type Reader } from './reader';
import { readString } from './scalars';

/** The environment `${NAME}` references are read from. */
export type Environment = Readonly<Record<string, string | undefined>>;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A string in which `${NAME}` is replaced by the environment variable NAME: how a DaemonSet hands
 * each pod its own node name and address (the downward API sets environment variables, not files).
 * Only the keys that document it take references; `$${` writes a literal `${`. A variable that is
 * unset or empty is an error, not an empty string: a label or excluded address that silently became
 * "" would merge every pod's series or exclude nothing.
 */
export function readEnvString(r: Reader, field: Field, env: Environment): string | undefined {
  const text = readString(r, field);
  if (text === undefined) return undefined;
  let failed = false;
  const expanded = text.replace(/\$?\$\{([^}]*)\}/g, (reference: string, name: string) => {
    if (reference.startsWith('$$')) return reference.slice(1);
    if (!VARIABLE_NAME.test(name)) {
      r.report(
        field,
        `${quote(reference)} is not a variable reference: write \${NAME}, NAME a variable name`,
      );
      failed = true;
      return '';
    }
    const value = env[name];
    if (value === undefined || value === '') {
      r.report(field, `environment variable ${name} is not set (referenced as \${${name}})`);
      failed = true;
      return '';
    }
    return value;
  });
  return failed ? undefined : expanded;
}
