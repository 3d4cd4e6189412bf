import { ProbeError } from '../errors';
import type { IpFamily } from '../packet';
import { bindingFor, type BindOptions, type FamilyBinding } from './bind';
import type { SharedSocket, SocketRegistry } from './socket-registry';

/**
 * The shared sockets one diagnostic (a Pinger, a Knocker) holds, one per family, acquired from the
 * registry on first use with the diagnostic's binding of that family and released together.
 * Invariant: after close(), nothing is held and every get() throws ERR_CLOSED.
 */
export class FamilySockets<T extends SharedSocket> {
  private readonly sockets = new Map<IpFamily, T>();
  private readonly bindings: Record<IpFamily, FamilyBinding>;
  private isClosed = false;

  constructor(
    private readonly registry: SocketRegistry,
    bind: BindOptions | undefined,
    private readonly acquire: (registry: SocketRegistry, family: IpFamily, binding: FamilyBinding) => T,
    /** Named in ERR_CLOSED: "the Pinger is closed". */
    private readonly owner: string,
  ) {
    this.bindings = { 4: bindingFor(bind, 4), 6: bindingFor(bind, 6) };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  binding(family: IpFamily): FamilyBinding {
    return this.bindings[family];
  }

  /** The socket of `family`, acquired now if it is not held yet. */
  get(family: IpFamily): T {
    if (this.isClosed) throw new ProbeError('ERR_CLOSED', `the ${this.owner} is closed`);
    let socket = this.sockets.get(family);
    if (!socket) {
      socket = this.acquire(this.registry, family, this.bindings[family]);
      this.sockets.set(family, socket);
    }
    return socket;
  }

  /** Releases every socket held (the registry closes those nobody else holds). Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const socket of this.sockets.values()) this.registry.release(socket);
    this.sockets.clear();
  }
}
