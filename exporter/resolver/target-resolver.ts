import { isIP } from 'node:net';
import type { DnsConfig, TargetConfig } from '../config';
import type { Clock } from '../scheduler';
import { ExporterError } from '../errors';
import { selectAll } from './select-addresses';

export interface ResolvedAddress {
  address: string;
  family: 'ipv4' | 'ipv6';
}

/** Every address of a host name, in the resolver's order. */
export type LookupAll = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface TargetResolverEvents {
  /** The addresses to probe changed (also called once after the first successful resolution). */
  onAddresses(addresses: ResolvedAddress[]): void;
  /** A resolution failed; the previous addresses (if any) stay in use. */
  onFailure(error: Error, retryInSeconds: number): void;
}

/**
 * Resolves a target's host at start, every dns.refresh, and after failures with exponential backoff
 * (dns.retry_min doubling up to dns.retry_max). IP literals are used as they are.
 */
export class TargetResolver {
  private timer: unknown;
  private failures = 0;
  /** The addresses published last, joined; undefined before the first publication. */
  private current: string | undefined;
  private stopped = false;

  constructor(
    private readonly target: TargetConfig,
    private readonly dns: DnsConfig,
    private readonly lookup: LookupAll,
    private readonly clock: Clock,
    private readonly events: TargetResolverEvents,
  ) {}

  start(): void {
    const literal = isIP(this.target.host);
    if (literal !== 0) {
      this.publish(select([{ address: this.target.host, family: literal }], this.target));
      return;
    }
    void this.resolve();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private async resolve(): Promise<void> {
    let delay: number;
    try {
      const answer = await this.lookup(this.target.host);
      const addresses = select(answer, this.target);
      if (this.stopped) return;
      if (addresses.length === 0 && !onlyExcluded(answer, this.target))
        throw new ExporterError(
          'ERR_RESOLVE',
          `no ${familyWanted(this.target)} address for ${this.target.host}`,
        );
      this.failures = 0;
      this.publish(addresses);
      delay = this.dns.refresh;
    } catch (error) {
      if (this.stopped) return;
      delay = Math.min(this.dns.retryMax, this.dns.retryMin * 2 ** this.failures++);
      this.events.onFailure(error as Error, delay);
    }
    this.timer = this.clock.setTimeout(() => void this.resolve(), delay * 1000);
  }

  private publish(addresses: ResolvedAddress[]): void {
    const key = addresses.map((a) => a.address).join(',');
    if (key === this.current) return;
    this.current = key;
    this.events.onAddresses(addresses);
  }
}

/**
 * The addresses a target's family asks for, out of everything the host resolved to: the first of
 * the family (both for `dual`), or with `addresses: all` every one of it (select-addresses.ts).
 */
export function select(
  all: ReadonlyArray<{ address: string; family: number }>,
  target: TargetConfig,
): ResolvedAddress[] {
  if (target.allAddresses) return selectAll(all, target, target.allAddresses);
  const first4 = all.find((a) => a.family === 4);
  const first6 = all.find((a) => a.family === 6);
  const as = (a: { address: string; family: number } | undefined): ResolvedAddress[] =>
    a ? [{ address: a.address, family: a.family === 4 ? 'ipv4' : 'ipv6' }] : [];
  switch (target.family) {
    case 'ipv4':
      return as(first4);
    case 'ipv6':
      return as(first6);
    case 'dual':
      return [...as(first4), ...as(first6)];
    default:
      return as(first4 ?? first6);
  }
}

/**
 * With `addresses: all`, whether the answer has addresses of the family that are all excluded (a
 * mesh of one pod, its own address): no failure, but nothing to probe, and the peers that left stop.
 */
function onlyExcluded(
  answer: ReadonlyArray<{ address: string; family: number }>,
  target: TargetConfig,
): boolean {
  const all = target.allAddresses;
  if (!all || all.exclude.length === 0) return false;
  return select(answer, { ...target, allAddresses: { ...all, exclude: [] } }).length > 0;
}

function familyWanted(target: TargetConfig): string {
  return target.family === 'ipv4' ? 'IPv4' : target.family === 'ipv6' ? 'IPv6' : 'IP';
}
