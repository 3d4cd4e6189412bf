import type { IpFamily } from '../packet';
import type { FamilyBinding } from './bind';
import { IcmpSocket } from './icmp-socket';
import { IdentifierPool } from './identifier-pool';
import { openRawTransport, type RawTransportFactory } from './raw-transport';

interface Lease {
  socket: IcmpSocket;
  users: number;
}

/**
 * Opens each raw socket once per (family, binding) and shares it: the first user opens it,
 * the last one to release it closes it.
 */
export class SocketRegistry {
  private readonly icmp = new Map<string, Lease>();
  /** Echo identifiers, unique per family across every socket of the registry. */
  readonly identifiers: Readonly<Record<IpFamily, IdentifierPool>> = {
    4: new IdentifierPool(),
    6: new IdentifierPool(),
  };

  constructor(
    private readonly openTransport: RawTransportFactory = openRawTransport,
    private readonly onSocketError?: (error: Error) => void,
  ) {}

  acquireIcmp(family: IpFamily, binding: FamilyBinding): IcmpSocket {
    const key = `${family}|${binding.source ?? ''}|${binding.interface ?? ''}`;
    let lease = this.icmp.get(key);
    if (!lease) {
      lease = { socket: new IcmpSocket(family, binding, this.openTransport, this.onSocketError), users: 0 };
      this.icmp.set(key, lease);
    }
    lease.users++;
    return lease.socket;
  }

  release(socket: IcmpSocket): void {
    for (const [key, lease] of this.icmp) {
      if (lease.socket !== socket) continue;
      if (--lease.users === 0) {
        this.icmp.delete(key);
        socket.close();
      }
      return;
    }
  }

  /** Every ICMP socket open now, for statistics. */
  icmpSockets(): IcmpSocket[] {
    return [...this.icmp.values()].map((lease) => lease.socket);
  }
}

/** The registry every probe of the process uses unless given another. */
export const sharedSockets = new SocketRegistry();
