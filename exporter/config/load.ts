import { ConfigError } from './issue';
import { MAX_CONFIG_BYTES } from './limits';
import { parseConfig } from './parse';
import { readConfigFile, readProblem } from './read-file';
import type { Config } from './types';

/** Reads and parses a config file; a file that cannot be read (or is not a regular file) is a ConfigError too. */
export async function loadConfig(file: string): Promise<Config> {
  let bytes: Buffer;
  try {
    // One byte over the limit is enough for parseConfig to refuse the file.
    bytes = await readConfigFile(file, { limit: MAX_CONFIG_BYTES });
  } catch (error) {
    throw new ConfigError([
      { file, line: 1, column: 1, path: '(root)', message: `cannot read: ${readProblem(error)}` },
    ]);
  }
  return parseConfig(bytes, file);
}
