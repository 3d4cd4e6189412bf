import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Netns } from './netns';
import { requireTools, which } from './tools';

/** Names and their addresses (IPv4 and IPv6 mixed), as the server answers them. */
export type DnsRecords = Readonly<Record<string, readonly string[]>>;

/** A real DNS server (dnsmasq) in a lab namespace, authoritative for the names it is given. */
export interface DnsServer {
  /** The address it listens on (port 53, UDP and TCP). */
  readonly address: string;
  /**
   * Replaces every record and waits until the server answers with them (SIGHUP makes dnsmasq
   * re-read its hosts file; the wait asks it, from `client`, until the answer matches).
   */
  setRecords(records: DnsRecords): Promise<void>;
  /** Points `client`'s resolver (/etc/resolv.conf inside `ip netns exec`) at this server until stop(). */
  serve(client: Netns): Promise<void>;
  /** Stops the server and removes the resolver files it wrote. Idempotent. */
  stop(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts dnsmasq in `ns` on `address`: no upstream servers, no /etc/hosts, no config file, its
 * records from a hosts file of its own (`--addn-hosts`). Names not in it are answered NXDOMAIN
 * (`--local=/#/` keeps it from forwarding anything), with TTL 0, so that nothing caches them.
 * `ip netns exec NS` bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf for every program
 * it runs: serve() writes that file, which is how the exporter's getaddrinfo finds this server.
 */
export async function startDnsServer(ns: Netns, address: string, records: DnsRecords): Promise<DnsServer> {
  requireTools('dnsmasq', 'getent');
  const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-dns-'));
  // dnsmasq re-reads the file as nobody after SIGHUP.
  chmodSync(dir, 0o755);
  const hosts = path.join(dir, 'hosts');
  writeHosts(hosts, records);
  const child: ChildProcess = ns.spawn([
    which('dnsmasq') ?? 'dnsmasq',
    '--no-daemon',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--local=/#/',
    `--addn-hosts=${hosts}`,
    `--listen-address=${address}`,
    '--bind-interfaces',
    '--pid-file=',
    '--local-ttl=0',
    '--log-facility=-',
  ]);
  let logs = '';
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const clients: Netns[] = [];
  let stopped = false;
  let current = records;
  const server: DnsServer = {
    address,
    async setRecords(next) {
      current = next;
      writeHosts(hosts, next);
      child.kill('SIGHUP');
      for (const client of clients) await answered(client, next);
    },
    async serve(client) {
      const etc = path.join('/etc/netns', client.name);
      mkdirSync(etc, { recursive: true });
      writeFileSync(path.join(etc, 'resolv.conf'), `nameserver ${address}\noptions timeout:1 attempts:2\n`, {
        mode: 0o644,
      });
      clients.push(client);
      await answered(client, current);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      child.kill('SIGTERM');
      for (const client of clients)
        rmSync(path.join('/etc/netns', client.name), { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  /** Waits until `client` resolves every name of `expected` to exactly its addresses. */
  async function answered(client: Netns, expected: DnsRecords): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let matches = true;
      for (const [name, addresses] of Object.entries(expected)) {
        const { stdout } = await client.exec(['getent', 'ahosts', name], { check: false });
        const got = new Set(
          stdout
            .split('\n')
            .map((line) => line.split(/\s+/)[0])
            .filter((a) => a),
        );
        if (got.size !== addresses.length || !addresses.every((a) => got.has(a))) matches = false;
      }
      if (matches) return;
      if (attempt > 50 || child.exitCode !== null)
        throw new Error(`the lab DNS server does not answer as told:\n${logs}`);
      await sleep(100);
    }
  }
  return server;
}

function writeHosts(file: string, records: DnsRecords): void {
  const lines = Object.entries(records).flatMap(([name, addresses]) => addresses.map((a) => `${a} ${name}`));
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o644 });
}
