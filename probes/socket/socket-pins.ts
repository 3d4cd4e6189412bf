import { bindingFor, type BindOptions } from './bind';
import type { SharedSocket, SocketRegistry } from './socket-registry';
import { acquireTcpSocket } from './tcp-socket';
import { acquireUdpSocket } from './udp-socket';

export interface SocketPinsOptions {
  /** Told when a family's sockets cannot be opened and are skipped (IPv6 only); default: nothing. */
  onFamilySkipped?: (family: 6, error: unknown) => void;
}

/**
 * Holds one lease on every raw socket a config's binding can need (ICMP, TCP and UDP, both
 * families), so that none is ever closed and reopened: after the process has given up root, it
 * could not open them again. A family the host lacks (IPv6 disabled) is skipped with a warning.
 */
export class SocketPins {
  private readonly leases: SharedSocket[] = [];

  private constructor(private readonly registry: SocketRegistry) {}

  /** Opens (or joins) every socket of `bind`; throws if the IPv4 ones cannot be opened. */
  static open(registry: SocketRegistry, bind: BindOptions, options: SocketPinsOptions = {}): SocketPins {
    const pins = new SocketPins(registry);
    try {
      for (const family of [4, 6] as const) {
        const binding = bindingFor(bind, family);
        try {
          pins.leases.push(registry.acquireIcmp(family, binding));
          pins.leases.push(acquireTcpSocket(registry, family, binding));
          pins.leases.push(acquireUdpSocket(registry, family, binding));
        } catch (error) {
          if (family === 4) throw error;
          options.onFamilySkipped?.(family, error);
        }
      }
    } catch (error) {
      pins.release();
      throw error;
    }
    return pins;
  }

  /** Gives the leases back (the last user of a socket closes it). Idempotent. */
  release(): void {
    for (const socket of this.leases.splice(0)) this.registry.release(socket);
  }
}
