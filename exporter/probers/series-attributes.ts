import type { SeriesLabels } from '../metrics';
import type { ProbeSubject } from '../scheduler';

/** The labels of every series of a subject: its static labels, then target, address and family. */
export function seriesAttributes(subject: ProbeSubject): SeriesLabels {
  return {
    ...subject.target.labels,
    target: subject.target.name,
    address: subject.address,
    family: subject.family,
  };
}
