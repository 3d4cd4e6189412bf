import { lookup } from 'node:dns/promises';
import type { LookupAll } from './target-resolver';

/** getaddrinfo(3) through Node: /etc/hosts, then DNS, as every other program on the host resolves. */
export const systemLookup: LookupAll = (host) => lookup(host, { all: true, order: 'ipv4first' });
