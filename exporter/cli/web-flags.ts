import { usageError } from '../errors';

/**
 * --web.max-connections: a positive integer, or undefined for the default (a quarter of the
 * process's open-file limit, at most 512: see defaultMaxConnections).
 */
export function parseMaxConnections(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1)
    throw usageError(`--web.max-connections: "${text}" is not a positive integer`);
  return value;
}
