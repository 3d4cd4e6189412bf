import { randomBytes } from 'node:crypto';
import { mssOption, TcpFlag, tcpSegment, type IpFamily, type PseudoHeader } from '../packet';
import {
  acquireTcpSocket,
  reserveTcpPort,
  type FamilyBinding,
  type IcmpSocket,
  type PortReservation,
  type SocketRegistry,
  type TcpExpectation,
  type TcpSocket,
} from '../socket';
import { InflightSet, type DeadlineList } from '../inflight';
import { addFlowsNow, withFirstFlows, type FlowTransport } from './flow-transport';
import { TraceProbe } from './trace-probe';
import type { TraceSpec } from './trace-request';
import type { ProbeOutcome } from './trace-result';

const SYN_OPTIONS = mssOption(1460);
const SYN_WINDOW = 64240;

interface TcpFlow {
  readonly reservation: PortReservation;
  /** Sequence number of the flow's next SYN: a random start, then one more per probe. */
  nextSequence: number;
}

/**
 * Paris traceroute over TCP SYN: each flow sends from its own reserved source port to the same
 * destination port at every TTL; a probe is told apart by its sequence number, which every ICMP
 * error quotes (the first 8 bytes of the TCP header) and a SYN-ACK or RST acknowledges.
 */
export class TcpFlowTransport implements FlowTransport {
  private readonly inflight: InflightSet;
  get sourcePorts(): number[] {
    return this.flows.map((flow) => flow.reservation.port);
  }
  private closed = false;
  private readonly flows: TcpFlow[] = [];

  private constructor(
    private readonly spec: TraceSpec,
    private readonly registry: SocketRegistry,
    private readonly binding: FamilyBinding,
    private readonly socket: TcpSocket,
    /** Where the ICMP errors quoting our SYNs arrive: read with the TCP socket before a timeout. */
    private readonly icmp: IcmpSocket,
    private readonly pseudo: PseudoHeader,
    deadlines: DeadlineList,
  ) {
    this.inflight = new InflightSet(deadlines, () => {
      socket.readNow();
      icmp.readNow();
    });
  }

  static open(
    spec: TraceSpec,
    registry: SocketRegistry,
    binding: FamilyBinding,
    source: string,
    /** Where the probes' timeouts wait (its duration is spec.timeoutMs). */
    deadlines: DeadlineList,
  ): TcpFlowTransport {
    const socket = acquireTcpSocket(registry, spec.family, binding);
    let icmp: IcmpSocket;
    try {
      icmp = registry.acquireIcmp(spec.family, binding);
    } catch (error) {
      registry.release(socket);
      throw error;
    }
    const pseudo = { source, destination: spec.destination };
    const transport = new TcpFlowTransport(spec, registry, binding, socket, icmp, pseudo, deadlines);
    return withFirstFlows(transport, (count) => transport.addFlows(count), spec.mda ? 0 : spec.flows);
  }

  ensureFlows(count: number): Promise<void> {
    return addFlowsNow((n) => this.addFlows(n), count);
  }

  private addFlows(count: number): void {
    const { spec, binding } = this;
    while (this.flows.length < count && !this.closed) {
      this.flows.push({
        reservation: reserveWithPreference(
          spec.family,
          binding.source,
          spec.sourcePorts[this.flows.length] ?? 0,
        ),
        nextSequence: randomBytes(4).readUInt32BE(0),
      });
    }
  }

  probe(flow: number, ttl: number): Promise<ProbeOutcome> {
    const state = this.flows[flow];
    if (this.closed || state === undefined) return Promise.resolve(null);
    const { spec, socket } = this;
    const sequence = state.nextSequence;
    state.nextSequence = (sequence + 1) >>> 0;
    const segment = tcpSegment.encode({
      pseudo: this.pseudo,
      sourcePort: state.reservation.port,
      destinationPort: spec.port,
      sequence,
      flags: TcpFlag.SYN,
      window: SYN_WINDOW,
      options: SYN_OPTIONS,
    });
    const probe = new TcpTraceProbe(this.inflight, spec, socket, state.reservation.port, sequence);
    if (!socket.expect(probe)) return Promise.resolve(null);
    probe.start();
    const onSent = (sentAt: bigint): void => {
      probe.onSent(sentAt);
      // A near router's ICMP error arrives on the ICMP socket while sendto(2) runs: read it now.
      this.icmp.readNow();
    };
    socket.send(segment, spec.destination, onSent, probe.onSendError, ttl);
    return probe.settled;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflight.cancelAll();
    for (const flow of this.flows) flow.reservation.release();
    this.registry.release(this.socket);
    this.registry.release(this.icmp);
  }
}

/** A SYN in flight: an ICMP error quotes its ports and sequence; the target's SYN-ACK or RST acknowledges it. */
class TcpTraceProbe extends TraceProbe implements TcpExpectation {
  constructor(
    inflight: InflightSet,
    private readonly spec: TraceSpec,
    private readonly socket: TcpSocket,
    readonly localPort: number,
    readonly sequence: number,
  ) {
    super(inflight, spec);
  }

  get remoteAddress(): string {
    return this.spec.destination;
  }

  get remotePort(): number {
    return this.spec.port;
  }

  onAnswer(receivedAt: bigint): void {
    this.answerFromDestination(receivedAt);
  }

  onIcmpError(receivedAt: bigint, error: { type: number; code: number; from: string }): void {
    this.answerIcmpError(receivedAt, error);
  }

  protected forget(): void {
    this.socket.forget(this);
  }
}

/** The preferred port when it can be had (a flow keeping its 5-tuple across traces), else the kernel's pick. */
function reserveWithPreference(
  family: IpFamily,
  address: string | undefined,
  preferred: number,
): PortReservation {
  if (preferred !== 0) {
    try {
      return reserveTcpPort(family, address, preferred);
    } catch {
      // taken meanwhile: a new flow identity, hence possibly a new path
    }
  }
  return reserveTcpPort(family, address);
}
