import { accessSync, constants as fsConstants, existsSync } from 'node:fs';
import * as path from 'node:path';

/** Debian/Ubuntu package providing each tool the lab or its tests may call. */
const APT_PACKAGE: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  ss: 'iproute2',
  tc: 'iproute2',
  nft: 'nftables',
  ping: 'iputils-ping',
  tracepath: 'iputils-tracepath',
  tcpdump: 'tcpdump',
  python3: 'python3',
  sysctl: 'procps',
  traceroute: 'traceroute',
  mtr: 'mtr-tiny',
  nc: 'netcat-openbsd',
  socat: 'socat',
  curl: 'curl',
  dnsmasq: 'dnsmasq-base',
};

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable on PATH (plus the sbin directories), or undefined. */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRS].filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Throws one clear error listing every missing tool and the apt package that provides it.
 * Call it at the top of a test file (or in `before`) for the tools the test runs.
 */
export function requireTools(...names: string[]): void {
  const missing = names.filter((n) => which(n) === undefined);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((n) => APT_PACKAGE[n] ?? n))];
  throw new Error(
    `netdiag lab: missing tool(s) ${missing.join(', ')}; install with: apt-get install -y ${packages.join(' ')}`,
  );
}

/** The lab needs root (namespaces, TUN devices, nftables). */
export function requireRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('netdiag lab: must run as root (network namespaces, TUN devices and nftables need it)');
  }
}

/**
 * Finds a file of test/lab both from the sources (test/lab/*.ts run directly) and from the compiled
 * output (dist/test/lab/*.js): looks next to this module first, then walks up to the repository root.
 */
export function labFile(name: string): string {
  const here = path.join(__dirname, name);
  if (existsSync(here)) return here;
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'test', 'lab', name);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`netdiag lab: cannot find test/lab/${name} above ${__dirname}`);
}
