import { ProbeError } from '../errors';
import { ipFamily, type IpFamily } from '../packet';

/** Where probes leave from. All optional: by default the kernel picks interface and source. */
export interface BindOptions {
  /** Source address of IPv4 probes (sent with an IP_HDRINCL header). */
  ipv4?: string;
  /** Source address of IPv6 probes (sent with an IPV6_HDRINCL header). */
  ipv6?: string;
  /** Interface every probe leaves through (SO_BINDTODEVICE). */
  interface?: string;
}

/** The part of BindOptions that applies to one family. */
export interface FamilyBinding {
  source?: string;
  interface?: string;
}

export function bindingFor(bind: BindOptions | undefined, family: IpFamily): FamilyBinding {
  const source = family === 4 ? bind?.ipv4 : bind?.ipv6;
  if (source !== undefined && ipFamily(source) !== family) {
    throw new ProbeError(
      'ERR_BIND_ADDRESS',
      `bind.${family === 4 ? 'ipv4' : 'ipv6'}: "${source}" is not an IPv${family} address`,
    );
  }
  const binding: FamilyBinding = {};
  if (source !== undefined) binding.source = source;
  if (bind?.interface !== undefined) binding.interface = bind.interface;
  return binding;
}
