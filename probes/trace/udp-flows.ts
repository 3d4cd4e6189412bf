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
import { InflightSet, type DeadlineList } from '../inflight';
import type { FlowTransport } from './flow-transport';
import { TraceProbe } from './trace-probe';
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
export class UdpFlowTransport implements FlowTransport {
  private readonly inflight: InflightSet;
  get sourcePorts(): number[] {
    return this.flows.map((flow) => flow.reservation.port);
  }
  private closed = false;
  private readonly flows: UdpFlow[] = [];

  private constructor(
    private readonly spec: TraceSpec,
    private readonly registry: SocketRegistry,
    private readonly binding: FamilyBinding,
    private readonly socket: UdpSocket,
    private readonly pseudo: { source: string; destination: string },
    deadlines: DeadlineList,
  ) {
    this.inflight = new InflightSet(deadlines, () => socket.readNow());
  }

  static async open(
    spec: TraceSpec,
    registry: SocketRegistry,
    binding: FamilyBinding,
    source: string,
    /** Where the probes' timeouts wait (its duration is spec.timeoutMs). */
    deadlines: DeadlineList,
  ): Promise<UdpFlowTransport> {
    const socket = acquireUdpSocket(registry, spec.family, binding);
    const pseudo = { source, destination: spec.destination };
    const transport = new UdpFlowTransport(spec, registry, binding, socket, pseudo, deadlines);
    try {
      await transport.ensureFlows(spec.mda ? 0 : spec.flows);
    } catch (error) {
      transport.close();
      throw error;
    }
    return transport;
  }

  async ensureFlows(count: number): Promise<void> {
    const { spec, binding } = this;
    while (this.flows.length < count && !this.closed) {
      const preferred = spec.sourcePorts[this.flows.length] ?? 0;
      const reservation =
        (preferred === 0
          ? undefined
          : await reserveUdpPort(spec.family, binding.source, preferred).catch(() => undefined)) ??
        (await reserveUdpPort(spec.family, binding.source));
      if (this.closed) reservation.release();
      else this.flows.push({ reservation, nextId: 1 });
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
    const probe = new UdpTraceProbe(this.inflight, spec, socket, state.reservation.port, checksum);
    if (!socket.expect(probe)) return Promise.resolve(null);
    probe.start();
    const packet = socket.headerIncluded
      ? withIpHeader({ family: spec.family, protocol: IpProtocol.Udp, hopLimit: ttl, ...pseudo }, datagram)
      : datagram;
    socket.send(packet, spec.destination, probe.onSent, probe.onSendError, ttl);
    return probe.settled;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflight.cancelAll();
    for (const flow of this.flows) flow.reservation.release();
    this.registry.release(this.socket);
  }
}

/** A UDP probe in flight: the ICMP errors that quote it carry its ports and checksum. */
class UdpTraceProbe extends TraceProbe implements UdpExpectation {
  constructor(
    inflight: InflightSet,
    private readonly spec: TraceSpec,
    private readonly socket: UdpSocket,
    readonly sourcePort: number,
    readonly checksum: number,
  ) {
    super(inflight, spec);
  }

  get destination(): string {
    return this.spec.destination;
  }

  get destinationPort(): number {
    return this.spec.port;
  }

  onIcmpError(receivedAt: bigint, error: { type: number; code: number; from: string }): void {
    this.answerIcmpError(receivedAt, error);
  }

  protected forget(): void {
    this.socket.forget(this);
  }
}
