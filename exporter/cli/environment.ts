/** The process environment, or a test's stand-in. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** A variable's value, trimmed; undefined when unset or blank (the OTel spec treats empty as unset). */
export function envValue(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}
