import { ProbeError } from '../errors';
import { ICMP_HEADER_LENGTH, IcmpType, Icmpv6Type, internetChecksum, type IpFamily } from '../packet';
import { ipv4AddressValue } from '../packet/address';
import { InflightProbe, InflightSet, type DeadlineList } from '../inflight';
import type { EchoExpectation, EchoReplyInfo, FamilyBinding, IcmpErrorInfo, IcmpSocket } from '../socket';
import type { EchoIdentifiers } from './echo-identifiers';
import { encodeEchoRequest, type EchoRequestSpec } from './echo-request';
import type { PingResult } from './ping-result';
import type { TokenSource } from './token-source';

export const TOKEN_BYTES = 8;

export interface EchoSessionSpec {
  family: IpFamily;
  /** Canonical address. */
  destination: string;
  timeoutMs: number;
  size: number;
  /** Absent or undefined: the system's. */
  ttl?: number | undefined;
}

/**
 * A run of echo requests to one address, with rising sequence numbers; each request takes the next
 * (identifier, sequence) its Pinger's EchoIdentifiers hands out, shared with the other sessions of
 * the family. Each probe() sends one request and settles with its reply, its ICMP error, a send
 * failure or the timeout; probes may overlap.
 *
 * A reply is the request's only if it also carries the request's 8-byte random token: a pair seen
 * on the wire (the identifiers are shared, and another target's owner sees them) lets nobody end a
 * probe without that token (SECURITY.md).
 */
export class EchoSession {
  /** @internal */ readonly destinationV4: number | undefined;
  /** @internal Requests in flight: close() cancels them. */
  readonly inflight: InflightSet;
  /** The payload of every request: token, then zeros; the token is rewritten per request. */
  private readonly payload: Buffer;
  private readonly request: EchoRequestSpec;
  /**
   * Without a bound source (no IP header to write), every request of the session is the same
   * packet but for its identifier, sequence and token: written in place, not encoded anew. The
   * transport sends it before send() returns (or copies it when it must wait).
   */
  private readonly plain: Buffer | undefined;
  private next = 0;
  private closed = false;

  constructor(
    /** @internal */ readonly socket: IcmpSocket,
    /** @internal */ readonly identifiers: EchoIdentifiers,
    binding: FamilyBinding,
    private readonly tokens: TokenSource,
    /** @internal */ readonly spec: EchoSessionSpec,
    deadlines: DeadlineList,
  ) {
    this.inflight = new InflightSet(deadlines, () => socket.readNow());
    this.payload = Buffer.alloc(spec.size);
    this.destinationV4 =
      spec.family === 4 ? ipv4AddressValue(spec.destination, 'address', 'destination') : undefined;
    this.request = {
      family: spec.family,
      identifier: 0,
      sequence: 0,
      payload: this.payload,
      destination: spec.destination,
      ...(binding.source !== undefined && { source: binding.source }),
      ...(spec.ttl !== undefined && { hopLimit: spec.ttl }),
    };
    if (binding.source === undefined) {
      this.plain = encodeEchoRequest(this.request);
      this.payload = this.plain.subarray(ICMP_HEADER_LENGTH);
      this.request.payload = this.payload;
    }
    identifiers.join();
  }

  /** Sends the next request; never rejects. */
  probe(): Promise<PingResult> {
    if (this.closed) return Promise.reject(new ProbeError('ERR_CLOSED', 'the echo session is closed'));
    return new Promise((resolve) => this.probeWith(resolve));
  }

  /**
   * The callback form of probe(): `onResult` gets the result, once (on a closed session at once,
   * as a send failure). For callers that probe thousands of times a second: no promise per probe.
   */
  probeWith(onResult: (result: PingResult) => void): void {
    if (this.closed) {
      onResult({
        seq: this.next,
        rtt: null,
        failure: { reason: 'send', message: 'the echo session is closed' },
      });
      return;
    }
    const { socket, spec, payload, request } = this;
    const seq = this.next++;
    const tokenHigh = this.tokens.next32();
    const tokenLow = this.tokens.next32();
    payload.writeUInt32BE(tokenHigh, 0);
    payload.writeUInt32BE(tokenLow, 4);
    const pending = new PendingEcho(this, seq, tokenHigh, tokenLow, onResult);
    let assigned: boolean;
    try {
      assigned = this.identifiers.assign(pending, (p) => socket.expect(p));
    } catch (error) {
      onResult({ seq, rtt: null, failure: { reason: 'send', message: (error as Error).message } });
      return;
    }
    if (!assigned) {
      onResult({
        seq,
        rtt: null,
        failure: { reason: 'send', message: 'every identifier and sequence tried is still in flight' },
      });
      return;
    }
    pending.start();
    request.identifier = pending.identifier;
    request.sequence = pending.sequence;
    socket.send(
      this.plain ? this.rewritePlain(pending.identifier, pending.sequence) : encodeEchoRequest(request),
      spec.destination,
      pending.onSent,
      pending.onSendError,
      request.source === undefined ? spec.ttl : undefined,
    );
  }

  /** The session's packet with this identifier and sequence (the token is already in its payload). */
  private rewritePlain(identifier: number, sequence: number): Buffer {
    const packet = this.plain!;
    packet.writeUInt16BE(identifier, 4);
    packet.writeUInt16BE(sequence, 6);
    // ICMPv6: the kernel fills in the checksum (it alone knows the source address).
    if (this.spec.family === 4) {
      packet.writeUInt16BE(0, 2);
      packet.writeUInt16BE(internetChecksum(packet, 0, packet.length), 2);
    }
    return packet;
  }

  /** Settles every pending probe as timed out and leaves the shared identifiers. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflight.cancelAll();
    this.identifiers.leave();
  }
}

/**
 * One request in flight: what the socket matches a reply against, and an InflightProbe (deadline,
 * settle once, forget). The session's constants are read through it rather than copied into each
 * of the ten thousand requests a second.
 *
 * An ICMP error that quotes the request's token ends the probe at once. One that quotes only the
 * ICMP header could have been forged by anyone who guessed identifier, sequence and checksum, so it
 * does not: the probe goes on waiting, a reply before the timeout wins, and only at the timeout is
 * the probe reported unreachable with that error rather than timed out.
 */
class PendingEcho extends InflightProbe<PingResult, EchoReplyInfo> implements EchoExpectation {
  /** Written once by EchoIdentifiers.assign(), before the probe is registered. */
  identifier = 0;
  sequence = 0;
  /** The first error that quoted only the ICMP header: the verdict at the timeout, unless a reply comes. */
  private headerOnlyError: { type: number; code: number; from: string } | undefined;

  constructor(
    private readonly session: EchoSession,
    private readonly seq: number,
    readonly tokenHigh: number,
    readonly tokenLow: number,
    onResult: (result: PingResult) => void,
  ) {
    super(session.inflight, onResult);
  }

  get destination(): string {
    return this.session.spec.destination;
  }

  get destinationV4(): number | undefined {
    return this.session.destinationV4;
  }

  get payloadLength(): number {
    return this.session.spec.size;
  }

  /**
   * Read only when an ICMP error quotes this request: a getter, not a field, so that the ten
   * thousand probes a second that never meet an error neither compute it nor carry it.
   */
  get messageSum(): number {
    return echoRequestSum(
      this.session.spec.family,
      this.identifier,
      this.sequence,
      this.tokenHigh,
      this.tokenLow,
    );
  }

  onReply(receivedAt: bigint, info: EchoReplyInfo): void {
    this.answered(receivedAt, info);
  }

  onError(_receivedAt: bigint, error: IcmpErrorInfo): void {
    const { type, code, from } = error;
    if (error.quotesToken) {
      this.settle({ seq: this.seq, rtt: null, failure: { reason: 'unreachable', type, code, from } });
    } else {
      this.headerOnlyError ??= { type, code, from };
    }
  }

  protected answerResult(info: EchoReplyInfo, rtt: number): PingResult {
    const result: PingResult = { seq: this.seq, rtt, bytes: info.bytes };
    if (info.ttl !== undefined) result.ttl = info.ttl;
    return result;
  }

  /** The socket reuses its reply info for the next reply. */
  protected override keep(info: EchoReplyInfo): EchoReplyInfo {
    return info.ttl === undefined ? { bytes: info.bytes } : { bytes: info.bytes, ttl: info.ttl };
  }

  protected lateResult(rtt: number): PingResult {
    return { seq: this.seq, rtt: null, failure: { reason: 'timeout', lateRtt: rtt } };
  }

  protected timeoutResult(): PingResult {
    const error = this.headerOnlyError;
    return {
      seq: this.seq,
      rtt: null,
      failure: error === undefined ? { reason: 'timeout' } : { reason: 'unreachable', ...error },
    };
  }

  protected sendErrorResult(error: Error): PingResult {
    return { seq: this.seq, rtt: null, failure: { reason: 'send', message: error.message } };
  }

  protected forget(): void {
    this.session.socket.forget(this);
    this.session.identifiers.settled();
  }
}

/**
 * One's-complement sum of an echo request's ICMP message with a zero checksum field (IPv6: without
 * the pseudo-header): type and code, identifier, sequence, the token, and the zeros after it.
 */
function echoRequestSum(
  family: IpFamily,
  identifier: number,
  sequence: number,
  tokenHigh: number,
  tokenLow: number,
): number {
  const typeAndCode = (family === 4 ? IcmpType.EchoRequest : Icmpv6Type.EchoRequest) << 8;
  return (
    typeAndCode +
    identifier +
    sequence +
    (tokenHigh >>> 16) +
    (tokenHigh & 0xffff) +
    (tokenLow >>> 16) +
    (tokenLow & 0xffff)
  );
}
