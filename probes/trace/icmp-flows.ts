import { randomBytes } from 'node:crypto';
import { ICMP_HEADER_LENGTH, icmp, icmpv6, IcmpType, Icmpv6Type, icmpProtocolOf, ipHeader } from '../packet';
import type {
  EchoExpectation,
  FamilyBinding,
  IcmpErrorInfo,
  IcmpSocket,
  IdentifierPool,
  SocketRegistry,
} from '../socket';
import { InflightSet, type DeadlineList } from '../inflight';
import { addFlowsNow, withFirstFlows, type FlowTransport } from './flow-transport';
import { TraceProbe } from './trace-probe';
import type { TraceSpec } from './trace-request';
import type { ProbeOutcome } from './trace-result';

const TOKEN_BYTES = 8;
const COMPENSATION_AT = TOKEN_BYTES;
/** Token, the two bytes that keep the checksum constant, then a marker. */
const PAYLOAD_BYTES = TOKEN_BYTES + 2 + 'netdiag-tr'.length;

interface IcmpFlow {
  readonly identifier: number;
  /** The flow's payload: its token stays, the compensation bytes change per probe. */
  readonly payload: Buffer;
  readonly tokenHigh: number;
  readonly tokenLow: number;
  nextSequence: number;
}

/**
 * Paris traceroute over ICMP echo: each flow has its own identifier, and its checksum stays the
 * same at every TTL because the two payload bytes after the token cancel the change of the
 * sequence number (sequence + compensation = 0xffff), so a load balancer that hashes on the first
 * bytes of the ICMP header keeps the flow on one path. Probes are told apart by sequence.
 * Linux routers hash ICMP on addresses only: there, every flow takes the same path.
 */
export class IcmpFlowTransport implements FlowTransport {
  private readonly inflight: InflightSet;
  private closed = false;
  private readonly flows: IcmpFlow[] = [];

  private constructor(
    private readonly spec: TraceSpec,
    private readonly registry: SocketRegistry,
    private readonly socket: IcmpSocket,
    private readonly identifiers: IdentifierPool,
    private readonly source: string | undefined,
    deadlines: DeadlineList,
  ) {
    this.inflight = new InflightSet(deadlines, () => socket.readNow());
  }

  static open(
    spec: TraceSpec,
    registry: SocketRegistry,
    binding: FamilyBinding,
    /** Where the probes' timeouts wait (its duration is spec.timeoutMs). */
    deadlines: DeadlineList,
  ): IcmpFlowTransport {
    const socket = registry.acquireIcmp(spec.family, binding);
    const identifiers = registry.identifiers[spec.family];
    const transport = new IcmpFlowTransport(spec, registry, socket, identifiers, binding.source, deadlines);
    return withFirstFlows(transport, (count) => transport.addFlows(count), spec.mda ? 0 : spec.flows);
  }

  ensureFlows(count: number): Promise<void> {
    return addFlowsNow((n) => this.addFlows(n), count);
  }

  private addFlows(count: number): void {
    while (this.flows.length < count && !this.closed) {
      const payload = Buffer.alloc(PAYLOAD_BYTES);
      randomBytes(TOKEN_BYTES).copy(payload, 0);
      payload.write('netdiag-tr', COMPENSATION_AT + 2, 'latin1');
      this.flows.push({
        identifier: this.identifiers.allocate(),
        payload,
        tokenHigh: payload.readUInt32BE(0),
        tokenLow: payload.readUInt32BE(4),
        nextSequence: 0,
      });
    }
  }

  probe(flow: number, ttl: number): Promise<ProbeOutcome> {
    const state = this.flows[flow];
    if (this.closed || state === undefined) return Promise.resolve(null);
    const { spec, socket } = this;
    const sequence = state.nextSequence;
    state.nextSequence = (sequence + 1) & 0xffff;
    state.payload.writeUInt16BE(~sequence & 0xffff, COMPENSATION_AT);
    const probe = new IcmpTraceProbe(this.inflight, spec, socket, state, sequence);
    if (!socket.expect(probe)) return Promise.resolve(null);
    probe.start();
    socket.send(this.encode(state, sequence, ttl), spec.destination, probe.onSent, probe.onSendError, ttl);
    return probe.settled;
  }

  private encode(flow: IcmpFlow, sequence: number, ttl: number): Buffer {
    const { spec, source } = this;
    const messageLength = ICMP_HEADER_LENGTH + PAYLOAD_BYTES;
    const echo = { identifier: flow.identifier, sequence, payload: flow.payload };
    if (source === undefined) {
      const message = Buffer.alloc(messageLength);
      if (spec.family === 4) return icmp.encode({ type: IcmpType.EchoRequest, ...echo }, message);
      // The kernel computes the ICMPv6 checksum (it alone knows the source); the compensation keeps it constant.
      message[0] = Icmpv6Type.EchoRequest;
      message.writeUInt16BE(flow.identifier, 4);
      message.writeUInt16BE(sequence, 6);
      flow.payload.copy(message, ICMP_HEADER_LENGTH);
      return message;
    }
    const header = {
      family: spec.family,
      protocol: icmpProtocolOf(spec.family),
      hopLimit: ttl,
      source,
      destination: spec.destination,
      payloadLength: messageLength,
    };
    const at = ipHeader.encodingLength(header);
    const packet = Buffer.alloc(at + messageLength);
    ipHeader.encode(header, packet);
    if (spec.family === 4) {
      icmp.encode({ type: IcmpType.EchoRequest, ...echo }, packet, at);
    } else {
      const pseudo = { source, destination: spec.destination };
      icmpv6.encode({ type: Icmpv6Type.EchoRequest, ...echo, pseudo }, packet, at);
    }
    return packet;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflight.cancelAll();
    for (const flow of this.flows) this.identifiers.release(flow.identifier);
    this.registry.release(this.socket);
  }
}

/**
 * An echo request in flight: the echo reply and the ICMP errors that quote it carry its flow's
 * identifier and token and its sequence. Any error that quotes it is an answer (a hop's time
 * exceeded quotes the ICMP header only, RFC 792).
 */
class IcmpTraceProbe extends TraceProbe implements EchoExpectation {
  constructor(
    inflight: InflightSet,
    private readonly spec: TraceSpec,
    private readonly socket: IcmpSocket,
    private readonly flow: IcmpFlow,
    readonly sequence: number,
  ) {
    super(inflight, spec);
  }

  get identifier(): number {
    return this.flow.identifier;
  }

  get destination(): string {
    return this.spec.destination;
  }

  get tokenHigh(): number {
    return this.flow.tokenHigh;
  }

  get tokenLow(): number {
    return this.flow.tokenLow;
  }

  get payloadLength(): number {
    return PAYLOAD_BYTES;
  }

  onReply(receivedAt: bigint): void {
    this.answerFromDestination(receivedAt);
  }

  onError(receivedAt: bigint, error: IcmpErrorInfo): void {
    this.answerIcmpError(receivedAt, error);
  }

  protected forget(): void {
    this.socket.forget(this);
  }
}
