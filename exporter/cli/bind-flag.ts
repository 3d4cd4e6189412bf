import { isIP } from 'node:net';
import { bindProblem } from '../config/can-bind';
import { usageError } from '../errors';

/**
 * `--bind` of ping, knock and trace: an IP address of this host, as iputils' `ping -I` demands
 * (probes from an address the host lacks would all be lost, silently). Returns its family, 0 when
 * the flag is unset.
 */
export async function bindFlagFamily(bind: string | undefined): Promise<0 | 4 | 6> {
  if (bind === undefined) return 0;
  const family = isIP(bind);
  if (family !== 4 && family !== 6) throw usageError(`--bind: "${bind}" is not an IP address`);
  const problem = await bindProblem(bind, family);
  if (problem !== undefined)
    throw usageError(
      `--bind: ${bind} is not an address of this host (${problem}); give one of its addresses`,
    );
  return family;
}
