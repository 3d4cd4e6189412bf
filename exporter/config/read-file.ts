import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { ExporterError } from '../errors';
import { ConfigError } from './issue';
import { MAX_CONFIG_BYTES } from './limits';

export interface ReadConfigFileOptions {
  /** Bytes read at most, then one more so that the caller can tell the file is too large. */
  limit: number;
}

/**
 * Reads a file the exporter is configured with: its main config, web config, certificate, key or
 * CA. Asynchronous, and safe against what may sit at the path:
 *   - symlinks are followed (Kubernetes mounts ConfigMaps and Secrets through them), but the file
 *     they end at must be a regular file: /dev/zero would feed bytes forever, a FIFO would block a
 *     reader (of the thread pool, or the main thread when read synchronously) until a writer comes;
 *   - the open is non-blocking, so opening a FIFO returns at once and fstat refuses it;
 *   - at most `limit` + 1 bytes are read, whatever the file's size claims or becomes meanwhile.
 * Rejects with the system's error (ENOENT, EACCES, EMFILE, ...) or ERR_NOT_REGULAR_FILE.
 */
export async function readConfigFile(file: string, options: ReadConfigFileOptions): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      throw new ExporterError('ERR_NOT_REGULAR_FILE', `not a regular file (${fileKind(stats)})`);
    const wanted = options.limit + 1;
    // Sized by fstat, grown if the file grows meanwhile, never past `wanted`.
    let buffer = Buffer.alloc(Math.min(wanted, Math.max(stats.size + 1, 4096)));
    let length = 0;
    while (length < wanted) {
      if (length === buffer.length) {
        const larger = Buffer.alloc(Math.min(wanted, buffer.length * 2));
        buffer.copy(larger);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * readConfigFile for a YAML file of the exporter's, bounded by MAX_CONFIG_BYTES (one byte over is
 * enough for the parser to refuse it): a file that cannot be read is a ConfigError like any other.
 */
export async function readConfigSource(file: string): Promise<Buffer> {
  try {
    return await readConfigFile(file, { limit: MAX_CONFIG_BYTES });
  } catch (error) {
    throw new ConfigError([
      { file, line: 1, column: 1, path: '(root)', message: `cannot read: ${readProblem(error)}` },
    ]);
  }
}

/** Why a read failed, for `cannot read: …`: the system's code (ENOENT, EACCES, …) or our own reason. */
export function readProblem(error: unknown): string {
  if (error instanceof ExporterError && error.code === 'ERR_NOT_REGULAR_FILE') return error.message;
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}
