import { parseConfig } from './parse';
import { readConfigSource } from './read-file';
import type { Config } from './types';

/** Reads and parses a config file; a file that cannot be read (or is not a regular file) is a ConfigError too. */
export async function loadConfig(file: string): Promise<Config> {
  const bytes = await readConfigSource(file);
  return parseConfig(bytes, file);
}
