import { mssOption, TcpFlag, tcpSegment, type IpFamily, type PseudoHeader } from '../packet';

/** What a Linux client offers: Ethernet MTU minus the IP and TCP headers. */
const MSS: Record<IpFamily, number> = { 4: 1460, 6: 1440 };
const MSS_OPTION: Record<IpFamily, Buffer> = { 4: mssOption(MSS[4]), 6: mssOption(MSS[6]) };
/** Linux's initial receive window for that MSS. */
const WINDOW = 64240;

export interface SynSpec {
  family: IpFamily;
  /** The addresses of the IP packet, which the checksum covers. */
  pseudo: PseudoHeader;
  sourcePort: number;
  destinationPort: number;
  sequence: number;
}

/**
 * A SYN as a real client sends it (with an MSS option, so that middleboxes that drop option-less
 * SYNs let it through), checksummed over the pseudo-header of `spec.pseudo`, written at buf[offset]
 * (into a new Buffer when `buf` is absent): the codec shape of probes/packet.
 */
export function encodeSyn(spec: SynSpec, buf?: Buffer, offset = 0): Buffer {
  return tcpSegment.encode(
    {
      pseudo: spec.pseudo,
      sourcePort: spec.sourcePort,
      destinationPort: spec.destinationPort,
      sequence: spec.sequence,
      flags: TcpFlag.SYN,
      window: WINDOW,
      options: MSS_OPTION[spec.family],
    },
    buf,
    offset,
  );
}
