// The source address the kernel will use towards a destination: TCP and UDP checksums cover it
// (pseudo-header), so a raw socket that lets the kernel write the IP header must still know it.
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';

import { ProbeError } from '../errors';
import { canonicalAddress, ipFamily, type IpFamily } from '../packet';
import type { FamilyBinding } from './bind';

/** Seconds a learned address is reused before the routing table is asked again. */
const SOURCE_ADDRESS_TTL = 60;
/** Entries kept at most; the oldest go first. */
const MAX_ENTRIES = 8192;
/** Any port: connect() on a UDP socket only picks the route and source, nothing is sent. */
const DISCARD_PORT = 9;

interface Entry {
  readonly address: Promise<string>;
  readonly expiresAt: number;
}

const cache = new Map<string, Entry>();

/**
 * The source address the kernel would use towards `destination` (UDP connect(), nothing sent), honouring a bound
 * source or interface; cached per (destination, binding) for SOURCE_ADDRESS_TTL seconds.
 *
 * - `binding.source` is returned as is (canonical): probes carry it in their own IP header.
 * - `binding.interface`: dgram has no SO_BINDTODEVICE, so the route lookup cannot be confined to the
 *   device; instead the interface's first address of the destination's family (from
 *   os.networkInterfaces(): for IPv6 a global one, or a link-local one when the destination is
 *   link-local) is taken, which is what the kernel picks for a device-bound socket with a single
 *   address per family.
 * Fails with ProbeError ERR_SOURCE_ADDRESS (no route, interface without an address of the family).
 */
export function sourceAddressFor(destination: string, binding: FamilyBinding): Promise<string> {
  const family = ipFamily(destination);
  if (family === 0) {
    return Promise.reject(new ProbeError('ERR_INVALID_ADDRESS', `"${destination}" is not an IP address`));
  }
  if (binding.source !== undefined) return Promise.resolve(canonicalAddress(binding.source));
  const key = `${destination}|${binding.interface ?? ''}`;
  const now = performance.now();
  const cached = cache.get(key);
  if (cached !== undefined && cached.expiresAt > now) return cached.address;
  if (cached !== undefined) cache.delete(key);
  const address =
    binding.interface !== undefined
      ? Promise.resolve().then(() => interfaceAddress(binding.interface!, family, destination))
      : routeSourceAddress(destination, family);
  address.catch(() => {
    if (cache.get(key)?.address === address) cache.delete(key);
  });
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, { address, expiresAt: now + SOURCE_ADDRESS_TTL * 1000 });
  return address;
}

function routeSourceAddress(destination: string, family: IpFamily): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    const fail = (error: Error): void => {
      socket.close();
      reject(
        new ProbeError(
          'ERR_SOURCE_ADDRESS',
          `cannot learn the source address towards ${destination}: ${error.message} (is there a route to it?)`,
          { cause: error },
        ),
      );
    };
    socket.once('error', fail);
    socket.connect(DISCARD_PORT, destination, () => {
      let address: string;
      try {
        address = canonicalAddress(socket.address().address);
      } catch (error) {
        fail(error as Error);
        return;
      }
      socket.close();
      resolve(address);
    });
  });
}

function isLinkLocal(address: string): boolean {
  return /^fe[89ab]/i.test(address);
}

function interfaceAddress(name: string, family: IpFamily, destination: string): string {
  const addresses = networkInterfaces()[name];
  if (addresses === undefined) {
    throw new ProbeError('ERR_BIND_INTERFACE', `interface "${name}" does not exist`);
  }
  const wanted = family === 4 ? 'IPv4' : 'IPv6';
  const linkLocal = family === 6 && isLinkLocal(destination);
  const candidates = addresses.filter((a) => a.family === wanted);
  const chosen =
    candidates.find((a) => family === 4 || isLinkLocal(a.address) === linkLocal) ?? candidates[0];
  if (chosen === undefined) {
    throw new ProbeError(
      'ERR_SOURCE_ADDRESS',
      `interface "${name}" has no IPv${family} address to probe ${destination} from`,
    );
  }
  return canonicalAddress(chosen.address.replace(/%.*$/, ''));
}
