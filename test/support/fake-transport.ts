import type {
  RawPacketHandler,
  RawTransport,
  RawTransportFactory,
  RawTransportOptions,
} from '../../probes/socket';

export interface SentPacket {
  packet: Buffer;
  destination: string;
  hopLimit: number | undefined;
}

/** An in-memory RawTransport: records what is sent, lets a test inject what is received. */
export class FakeTransport implements RawTransport {
  readonly family;
  readonly protocol;
  readonly headerIncluded;
  readonly sent: SentPacket[] = [];
  closed = false;
  /** Called for every packet sent, e.g. to answer it. */
  onSend: (sent: SentPacket) => void = () => {};

  constructor(readonly options: RawTransportOptions) {
    this.family = options.family;
    this.protocol = options.protocol;
    this.headerIncluded = options.headerIncluded ?? false;
  }

  send(
    packet: Buffer,
    destination: string,
    onSent: (sentAt: bigint) => void,
    _onError: (error: Error) => void,
    hopLimit?: number,
  ): void {
    const sent = { packet: Buffer.from(packet), destination, hopLimit };
    this.sent.push(sent);
    onSent(process.hrtime.bigint());
    this.onSend(sent);
  }

  /** Delivers bytes as if read from the socket. */
  receive(
    packet: Buffer,
    source: string,
    receivedAt: bigint = process.hrtime.bigint(),
    hopLimit?: number,
  ): void {
    const handler: RawPacketHandler = this.options.onPacket;
    handler(packet, source, receivedAt, hopLimit);
  }

  /** Packets that arrived but were not read yet (the event loop was busy): readNow() delivers them. */
  readonly unread: Array<{ packet: Buffer; source: string; receivedAt: bigint }> = [];

  readNow(): void {
    for (const { packet, source } of this.unread.splice(0)) this.receive(packet, source);
  }

  close(): void {
    this.closed = true;
  }
}

/** A factory that remembers every transport it opened. */
export function fakeFactory(): RawTransportFactory & { opened: FakeTransport[] } {
  const opened: FakeTransport[] = [];
  const open: RawTransportFactory = (options) => {
    const transport = new FakeTransport(options);
    opened.push(transport);
    return transport;
  };
  return Object.assign(open, { opened });
}
