import type { TraceSpec } from '../trace-request';
import type { TraceHop } from '../trace-result';
import type { AnswerRecords } from './answer-records';
import { CarriedEvidence } from './carried-evidence';
import { evidenceOf, type MdaEvidence } from './evidence';
import { trimEvidence } from './needed-evidence';

type EvidenceSpec = Pick<TraceSpec, 'evidence' | 'mda' | 'protocol' | 'firstHop'>;

/**
 * The evidence a request carries into its round, trimmed to what the round's confidence needs; none
 * for fixed flows, ICMP (identifiers are not kept) or evidence of another first hop.
 */
export function carriedEvidenceOf(spec: EvidenceSpec): CarriedEvidence | undefined {
  const { evidence, mda } = spec;
  if (!mda || !evidence || spec.protocol === 'icmp' || evidence.firstHop !== spec.firstHop) return undefined;
  return new CarriedEvidence(trimEvidence(evidence, mda.confidence));
}

/** The evidence a round of the MDA leaves for the next: what its stopping rule needed, each answer with its round. */
export function evidenceAfter(
  spec: EvidenceSpec & { mda: { confidence: number } },
  records: AnswerRecords,
  ports: readonly number[],
  carried: CarriedEvidence | undefined,
  hops: readonly Pick<TraceHop, 'ttl' | 'loss'>[],
): MdaEvidence {
  return trimEvidence(
    evidenceOf(records, ports, {
      round: carried?.round ?? 0,
      firstHop: spec.firstHop,
      lastHop: hops.at(-1)?.ttl ?? spec.firstHop,
      freshRounds: carried?.freshRoundsAfter(hops.map((hop) => hop.loss)) ?? 0,
    }),
    spec.mda.confidence,
  );
}
