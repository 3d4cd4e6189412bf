import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hostMistake } from '../config/host-mistake';
import { ExporterError, usageError } from '../errors';

/** Resolves a host name or IP literal to one address of the wanted family (0: any, IPv4 first). */
export async function resolveHost(host: string, family: 0 | 4 | 6): Promise<string> {
  const literal = isIP(host);
  if (literal !== 0) {
    if (family !== 0 && literal !== family) {
      throw new ExporterError(
        'ERR_RESOLVE',
        `${host} is an IPv${literal} address, but IPv${family} was asked for`,
      );
    }
    return host;
  }
  const mistake = hostMistake(host);
  if (mistake) throw usageError(`HOST ${JSON.stringify(host)} ${mistake}`);
  try {
    const { address } = await lookup(host, { family, order: 'ipv4first' });
    return address;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ExporterError(
      'ERR_RESOLVE',
      `cannot resolve "${host}"${family ? ` to an IPv${family} address` : ''}: ${code}`,
      { cause: error },
    );
  }
}
