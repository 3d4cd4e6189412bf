import { createReadStream } from 'node:fs';
import { ConfigError } from './issue';
import { MAX_CONFIG_BYTES } from './limits';
import { parseConfig } from './parse';
import type { Config } from './types';

/** Reads and parses a config file; a file that cannot be read is a ConfigError too. */
export async function loadConfig(file: string): Promise<Config> {
  let bytes: Buffer;
  try {
    // One byte over the limit is enough for parseConfig to refuse the file, and bounds what a FIFO can feed.
    bytes = await readAtMost(file, MAX_CONFIG_BYTES + 1);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([{ file, line: 1, column: 1, path: '(root)', message: `cannot read: ${reason}` }]);
  }
  return parseConfig(bytes, file);
}

async function readAtMost(file: string, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file, { end: limit - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
