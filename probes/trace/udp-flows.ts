import { forceUdpChecksum, IpProtocol, udpDatagram, withIpHeader } from '../packet';
import {
  acquireUdpSocket,
  reserveUdpPort,
  type FamilyBinding,
  type SocketRegistry,
  type UdpExpectation,
  type UdpPortReservation,
  type UdpSocket,
} from '../socket';
import type { FlowProber } from './flow-prober';
import { InflightProbe, InflightSet } from './inflight-probe';
import type { TraceSpec } from './trace-request';
import type { ProbeOutcome } from './trace-result';

/** The payload: 2 bytes that set the checksum, then a marker for whoever reads a capture. */
const MARKER = Buffer.from('netdiag-tr');
const PAYLOAD = Buffer.concat([Buffer.alloc(2), MARKER]);
const CHECKSUM_BYTES_AT = 8;

interface UdpFlow {
  readonly reservation: UdpPortReservation;
  /** The next probe identity, carried as the UDP checksum: 1..0xfffe. */
  nextId: number;
}

/**
 * Paris traceroute over UDP: each flow sends from its own reserved source port to the same
 * destination port at every TTL, so its 5-tuple (what ECMP hashes) never changes; a probe is told
 * apart by its UDP checksum, set per probe through two payload bytes.
 */
export class UdpFlowProber implements FlowProber {
  private readonly inflight = new InflightSet();
  get sourcePorts(): number[] {
    return this.flows.map((flow) => flow.reservation.port);
  }
  private closed = false;

  private constructor(
    private readonly spec: TraceSpec,
    private readonly registry: SocketRegistry,
    private readonly socket: UdpSocket,
    private readonly pseudo: { source: string; destination: string },
    private readonly flows: UdpFlow[],
  ) {}

  static async open(
    spec: TraceSpec,
    registry: SocketRegistry,
    binding: FamilyBinding,
    source: string,
  ): Promise<UdpFlowProber> {
    const reservations: UdpPortReservation[] = [];
    try {
      for (let i = 0; i < spec.flows; i++) {
        const preferred = spec.sourcePorts[i] ?? 0;
        const reservation =
          preferred === 0
            ? undefined
            : await reserveUdpPort(spec.family, binding.source, preferred).catch(() => undefined);
        reservations.push(reservation ?? (await reserveUdpPort(spec.family, binding.source)));
      }
      const socket = acquireUdpSocket(registry, spec.family, binding);
      const flows = reservations.map((reservation) => ({ reservation, nextId: 1 }));
      return new UdpFlowProber(spec, registry, socket, { source, destination: spec.destination }, flows);
    } catch (error) {
      for (const reservation of reservations) reservation.release();
      throw error;
    }
  }

  probe(flow: number, ttl: number): Promise<ProbeOutcome> {
    const state = this.flows[flow];
    if (this.closed || state === undefined) return Promise.resolve(null);
    const { spec, socket, pseudo } = this;
    const checksum = state.nextId;
    state.nextId = state.nextId >= 0xfffe ? 1 : state.nextId + 1;
    const datagram = udpDatagram.encode({
      pseudo,
      sourcePort: state.reservation.port,
      destinationPort: spec.port,
      payload: PAYLOAD,
    });
    forceUdpChecksum(datagram, pseudo, checksum, CHECKSUM_BYTES_AT);
    const expectation: UdpExpectation = {
      destination: spec.destination,
      sourcePort: state.reservation.port,
      destinationPort: spec.port,
      checksum,
      onIcmpError: (receivedAt, error) => probe.answerIcmpError(receivedAt, spec, error),
    };
    const probe = new InflightProbe(
      spec.timeoutMs,
      () => socket.readNow(),
      () => socket.forget(expectation),
    );
    if (!socket.expect(expectation)) return Promise.resolve(null);
    const settled = this.inflight.track(probe);
    const packet = socket.headerIncluded
      ? withIpHeader({ family: spec.family, protocol: IpProtocol.Udp, hopLimit: ttl, ...pseudo }, datagram)
      : datagram;
    socket.send(packet, spec.destination, probe.onSent, probe.onSendError, ttl);
    return settled;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflight.cancelAll();
    for (const flow of this.flows) flow.reservation.release();
    this.registry.release(this.socket);
  }
}
