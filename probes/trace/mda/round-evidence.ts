import type { TraceSpec } from '../trace-request';
import type { TraceHop } from '../trace-result';
import type { AnswerRecords } from './answer-records';
import { CarriedEvidence } from './carried-evidence';
import { evidenceOf, foundationConfidence, type MdaEvidence } from './evidence';
import { ruleHolds } from './rule-holds';
import { trimEvidence } from './needed-evidence';

type EvidenceSpec = Pick<TraceSpec, 'evidence' | 'mda' | 'protocol' | 'firstHop'>;
/** What evidenceAfter reads: `flows` is the MDA's flow cap. */
type AfterSpec = EvidenceSpec & Pick<TraceSpec, 'flows'> & { mda: { confidence: number } };

/**
 * The evidence a request carries into its round, trimmed to what the round's confidence needs; none
 * for fixed flows, ICMP (identifiers are not kept) or evidence of another first hop.
 */
export function carriedEvidenceOf(spec: EvidenceSpec): CarriedEvidence | undefined {
  const { evidence, mda } = spec;
  if (!mda || !evidence || spec.protocol === 'icmp' || evidence.firstHop !== spec.firstHop) return undefined;
  return new CarriedEvidence(trimEvidence(evidence, mda.confidence));
}

/**
 * The evidence a round of the MDA leaves for the next: what its stopping rule needs, each answer with
 * its round. Founded (MdaEvidence.founded) when the evidence counted was, or when the rule holds on
 * this round's answered flows at the confidence it explored at (a first round's: the request's); trimmed to
 * what the configured confidence needs once founded, else to what the foundation confidence needs, so
 * that the rounds after keep what this one found towards it.
 */
export function evidenceAfter(
  spec: AfterSpec,
  records: AnswerRecords,
  ports: readonly number[],
  carried: CarriedEvidence | undefined,
  hops: readonly Pick<TraceHop, 'ttl' | 'loss'>[],
): MdaEvidence {
  const { confidence } = spec.mda;
  const foundation = carried ? foundationConfidence(confidence) : confidence;
  const evidence = evidenceOf(records, ports, {
    round: carried?.round ?? 0,
    firstHop: spec.firstHop,
    lastHop: hops.at(-1)?.ttl ?? spec.firstHop,
    freshRounds: carried?.freshRoundsAfter(hops.map((hop) => hop.loss)) ?? 0,
    founded: false,
  });
  const founded = (carried?.founded ?? false) || ruleHolds(evidence, foundation, spec.flows);
  return trimEvidence({ ...evidence, founded }, founded ? confidence : foundation);
}
