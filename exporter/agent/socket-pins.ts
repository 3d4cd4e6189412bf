import {
  acquireTcpSocket,
  acquireUdpSocket,
  bindingFor,
  type BindOptions,
  type SharedSocket,
  type SocketRegistry,
} from '../../probes/socket';
import type { Logger } from '../logging';

/**
 * Holds one lease on every raw socket a config's binding can need (ICMP, TCP and UDP, both
 * families), so that none is ever closed and reopened: after the process has given up root, it
 * could not open them again. A family the host lacks (IPv6 disabled) is skipped with a warning.
 */
export class SocketPins {
  private readonly leases: SharedSocket[] = [];

  private constructor(private readonly registry: SocketRegistry) {}

  /** Opens (or joins) every socket of `bind`; throws if the IPv4 ones cannot be opened. */
  static open(registry: SocketRegistry, bind: BindOptions, logger: Logger): SocketPins {
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
          logger.warn('no IPv6 raw sockets: IPv6 targets will fail', { err: error });
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
