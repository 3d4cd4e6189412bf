import { loadNativeAddon, type NativeAddon } from './native-addon';
import { NativeTransport } from './native-transport';
import { openRawTransport, type RawTransportFactory } from './raw-transport';

/**
 * Errnos of a setsockopt the kernel does not know or allows not (an old kernel, a seccomp profile, a
 * sandbox that emulates sockets): the native transport cannot give what it is for, raw-socket can still
 * give the rest.
 */
const REFUSED = new Set(['ENOPROTOOPT', 'EINVAL', 'EOPNOTSUPP', 'ENOTSUP', 'ENOSYS']);

/**
 * A factory that opens transports on the native addon when it is there, and on raw-socket when it is
 * not or when the kernel refuses an option only the native transport sets. Errors any transport would
 * meet (permission, a device that does not exist) are thrown as they are.
 */
export function transportFactory(
  addon: NativeAddon | Error,
  fallback: RawTransportFactory = openRawTransport,
): RawTransportFactory {
  if (addon instanceof Error) return fallback;
  return (options) => {
    try {
      return new NativeTransport(addon, options);
    } catch (error) {
      if (REFUSED.has(String((error as NodeJS.ErrnoException).code))) return fallback(options);
      throw error;
    }
  };
}

let chosen: RawTransportFactory | undefined;

/** The process's transports: native where the addon loads (once, on the first socket), else raw-socket. */
export const openBestTransport: RawTransportFactory = (options) => {
  chosen ??= transportFactory(loadNativeAddon());
  return chosen(options);
};
