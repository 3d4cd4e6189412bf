import type { IpFamily } from '../packet';
import type { FamilyBinding } from './bind';
import { IcmpSocket } from './icmp-socket';
import { IdentifierPool } from './identifier-pool';
import { openBestTransport } from './open-transport';
import type { RawTransportFactory } from './raw-transport';

/** What every shared socket of the registry can do: be closed by its last user. */
export interface SharedSocket {
  readonly family: IpFamily;
  close(): void;
}

interface Lease {
  readonly kind: string;
  readonly socket: SharedSocket;
  users: number;
}

/**
 * Opens each raw socket once per (kind, family, binding) and shares it: the first user opens it,
 * the last one to release it closes it. A kind is one protocol's socket class ("icmp", "tcp", ...).
 */
export class SocketRegistry {
  private readonly leases = new Map<string, Lease>();
  /** Echo identifiers, unique per family across every socket of the registry. */
  readonly identifiers: Readonly<Record<IpFamily, IdentifierPool>> = {
    4: new IdentifierPool(),
    6: new IdentifierPool(),
  };

  constructor(
    readonly openTransport: RawTransportFactory = openBestTransport,
    readonly onSocketError?: (error: Error) => void,
  ) {}

  acquireIcmp(family: IpFamily, binding: FamilyBinding): IcmpSocket {
    return this.acquire(
      'icmp',
      family,
      binding,
      () => new IcmpSocket(family, binding, this.openTransport, this.onSocketError),
    );
  }

  /**
   * The shared socket of `kind` for (family, binding), opened by `open` on first use.
   * Protocol-specific `acquireX` methods are thin wrappers around this.
   */
  acquire<T extends SharedSocket>(kind: string, family: IpFamily, binding: FamilyBinding, open: () => T): T {
    const key = `${kind}|${family}|${binding.source ?? ''}|${binding.interface ?? ''}`;
    let lease = this.leases.get(key);
    if (!lease) {
      lease = { kind, socket: open(), users: 0 };
      this.leases.set(key, lease);
    }
    lease.users++;
    return lease.socket as T;
  }

  release(socket: SharedSocket): void {
    for (const [key, lease] of this.leases) {
      if (lease.socket !== socket) continue;
      if (--lease.users === 0) {
        this.leases.delete(key);
        socket.close();
      }
      return;
    }
  }

  /** Every open socket of `kind`, for statistics. */
  socketsOf<T extends SharedSocket>(kind: string): T[] {
    const sockets: T[] = [];
    for (const lease of this.leases.values()) if (lease.kind === kind) sockets.push(lease.socket as T);
    return sockets;
  }

  /** Every ICMP socket open now, for statistics. */
  icmpSockets(): IcmpSocket[] {
    return this.socketsOf<IcmpSocket>('icmp');
  }
}

/** The registry every probe of the process uses unless given another. */
export const sharedSockets = new SocketRegistry();
