import { bindProblem } from './can-bind';
import { decodeConfigText } from './decode';
import { ConfigError, type ConfigIssue } from './issue';
import { MAX_CONFIG_BYTES } from './limits';
import { readConfigFile } from './read-file';
import { present, Reader } from './reader';
import type { Config } from './types';
import { parseYaml } from './yaml-document';

/** Whether this host lets a socket bind to `address`: undefined if so, else the system error's code. */
type BindProbe = (address: string, family: 4 | 6) => Promise<string | undefined>;

/**
 * Refuses a config whose `bind.ipv4` or `bind.ipv6` is not an address of this host, with located
 * issues as parseConfig's (the running config stays on reload; at start, exit 2): probes from
 * such a source are lost without a trace, and iputils' `ping -I` refuses it the same way, by a
 * bind(2) that fails with EADDRNOTAVAIL. A test bind rather than a look at the interfaces, so
 * that what the kernel accepts (AnyIP local routes, `ip_nonlocal_bind`) is accepted here too.
 *
 * Kept out of parseConfig, which stays pure: a config may be checked on one host and run on
 * another, and its fixtures use documentation addresses. The exporter calls this where it runs,
 * at start and on each reload. The file is read again only to locate a refused address.
 */
export async function checkBindOnHost(config: Config, probe: BindProbe = bindProblem): Promise<void> {
  const refused: Array<{ key: 'ipv4' | 'ipv6'; message: string }> = [];
  for (const [key, family] of [
    ['ipv4', 4],
    ['ipv6', 6],
  ] as const) {
    const address = config.bind[key];
    if (address === undefined) continue;
    const code = await probe(address, family);
    if (code !== undefined)
      refused.push({
        key,
        message:
          `${address} is not an address of this host (bind: ${code}): probes from it would get no ` +
          `answer; give one of the host's addresses or leave bind.${key} unset`,
      });
  }
  if (refused.length > 0) throw new ConfigError(await locate(config.file, refused));
}

/** The issues at the keys they are about, or at 1:1 when the file changed or cannot be read again. */
async function locate(
  file: string,
  refused: ReadonlyArray<{ key: 'ipv4' | 'ipv6'; message: string }>,
): Promise<ConfigIssue[]> {
  const atTop = (): ConfigIssue[] =>
    refused.map(({ key, message }) => ({ file, line: 1, column: 1, path: `bind.${key}`, message }));
  let text: string | undefined;
  try {
    const decoded = decodeConfigText(await readConfigFile(file, { limit: MAX_CONFIG_BYTES }));
    if (typeof decoded === 'string') text = decoded;
  } catch {
    // unreadable now: located at the top
  }
  const parsed = text === undefined ? undefined : parseYaml(text);
  if (!parsed?.document) return atTop();
  const r = new Reader(file, parsed.lines, parsed.document);
  const root = r.root();
  const bind = root && present(r.map(root)?.get('bind'));
  const keys = bind && r.map(bind);
  for (const { key, message } of refused) {
    const field = present(keys?.get(key));
    if (!field) return atTop();
    r.report(field, message);
  }
  return r.issues;
}
