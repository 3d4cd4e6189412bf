import type { Meter } from '@opentelemetry/api';
import { createObserved, type MetricStore } from './metric-store';
import type { ObservedBinding, ObservedSpec } from './observed';

const BUILD_INFO: ObservedSpec = {
  name: 'netdiag_build_info',
  description: 'Always 1; its labels name the running build: version, git revision and Node.js version.',
  kind: 'gauge',
};

export interface BuildInfoLabels {
  readonly version: string;
  readonly revision: string;
  readonly nodejs_version: string;
}

/** `netdiag_build_info{version,revision,nodejs_version} 1`, the `*_build_info` of Prometheus exporters. */
export function observeBuildInfo(
  meter: Meter,
  store: MetricStore | undefined,
  labels: BuildInfoLabels,
): ObservedBinding {
  const attributes = { ...labels };
  return createObserved(meter, store, [BUILD_INFO], (emit) => emit(BUILD_INFO, 1, attributes));
}
