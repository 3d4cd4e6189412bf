import { ConfigError, formatIssues } from '../config';
import { silentLogger } from '../logging';
import { WebProtection } from '../server';

/**
 * What `--config.check` says of a `--web.config.file`: undefined when it would start (parsed, and
 * its certificate, key and CA read and checked, as at a start), else every problem as
 * `FILE:LINE:COL: key.path: message` lines. The check runs as a start would, so a file valid here
 * does not fail the start.
 */
export async function checkWebConfigFile(file: string): Promise<string | undefined> {
  try {
    await WebProtection.load({ file, logger: silentLogger });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return formatIssues(error);
    throw error;
  }
}
