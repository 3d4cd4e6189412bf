import { ProbeError } from '../errors';
import type { IpFamily } from '../packet';
import type { EchoExpectation, FamilyBinding, IcmpSocket, IdentifierPool } from '../socket';
import { encodeEchoRequest } from './echo-request';
import type { PingResult } from './ping-result';
import type { TokenSource } from './token-source';

export const TOKEN_BYTES = 8;

export interface EchoSessionSpec {
  family: IpFamily;
  /** Canonical address. */
  destination: string;
  timeoutMs: number;
  size: number;
  ttl?: number;
}

/**
 * A run of echo requests to one address under one identifier, with rising sequence numbers.
 * Each probe() sends one request and settles with its reply, its ICMP error, a send failure or
 * the timeout; probes may overlap.
 */
export class EchoSession {
  private readonly identifier: number;
  /** The payload of every request: token, then zeros; the token is rewritten per request. */
  private readonly payload: Buffer;
  private readonly inflight = new Set<() => void>();
  private next = 0;
  private closed = false;

  constructor(
    private readonly socket: IcmpSocket,
    private readonly identifiers: IdentifierPool,
    private readonly binding: FamilyBinding,
    private readonly tokens: TokenSource,
    private readonly spec: EchoSessionSpec,
  ) {
    this.identifier = identifiers.allocate();
    this.payload = Buffer.alloc(spec.size);
  }

  /** Sends the next request; never rejects. */
  probe(): Promise<PingResult> {
    if (this.closed) return Promise.reject(new ProbeError('ERR_CLOSED', 'the echo session is closed'));
    const { socket, binding, spec, identifier } = this;
    const seq = this.next++;
    const sequence = seq & 0xffff;
    const { payload } = this;
    this.tokens.fill(payload, 0, TOKEN_BYTES);
    const tokenHigh = payload.readUInt32BE(0);
    const tokenLow = payload.readUInt32BE(4);
    return new Promise<PingResult>((resolve) => {
      let sentAt = 0n;
      let timer: NodeJS.Timeout | undefined;
      const settle = (value: PingResult): void => {
        if (!this.inflight.delete(cancel)) return;
        clearTimeout(timer);
        socket.forget(expectation);
        resolve(value);
      };
      const cancel = (): void => settle({ seq, rtt: null, failure: { reason: 'timeout' } });
      // After a busy stretch of the event loop, timers run before the poll phase: read the socket
      // first, so that a reply already waiting there is not taken for a loss.
      const expire = (): void => {
        socket.readNow();
        cancel();
      };
      const expectation: EchoExpectation = {
        identifier,
        sequence,
        destination: spec.destination,
        tokenHigh,
        tokenLow,
        payloadLength: spec.size,
        onReply: (receivedAt, info) =>
          settle({
            seq,
            rtt: Number(receivedAt - sentAt) / 1e9,
            bytes: info.bytes,
            ...(info.ttl !== undefined && { ttl: info.ttl }),
          }),
        onError: (_receivedAt, error) =>
          settle({ seq, rtt: null, failure: { reason: 'unreachable', ...error } }),
      };
      if (!socket.expect(expectation)) {
        resolve({
          seq,
          rtt: null,
          failure: { reason: 'send', message: 'identifier and sequence still in flight' },
        });
        return;
      }
      this.inflight.add(cancel);
      const packet = encodeEchoRequest({
        family: spec.family,
        identifier,
        sequence,
        payload,
        destination: spec.destination,
        ...(binding.source !== undefined && { source: binding.source }),
        ...(spec.ttl !== undefined && { hopLimit: spec.ttl }),
      });
      socket.send(
        packet,
        spec.destination,
        (at) => {
          // The timeout counts from the moment the request leaves, not from when it was queued.
          sentAt = at;
          timer = setTimeout(expire, spec.timeoutMs);
        },
        (error) => settle({ seq, rtt: null, failure: { reason: 'send', message: error.message } }),
        binding.source === undefined ? spec.ttl : undefined,
      );
    });
  }

  /** Settles every pending probe as timed out and frees the identifier. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cancel of [...this.inflight]) cancel();
    this.identifiers.release(this.identifier);
  }
}
