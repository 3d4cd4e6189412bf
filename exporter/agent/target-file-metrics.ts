import type { Meter } from '@opentelemetry/api';
import { type MetricStore, type ObservedBinding, type ObservedSpec, observeWithMeter } from '../metrics';

/** The state of one target file at a collection. */
export interface TargetFileStatus {
  readonly file: string;
  /** Whether its last read was good and applied whole. */
  readonly success: boolean;
  /** Unix seconds of its last good read; undefined before the first. */
  readonly lastSuccess: number | undefined;
  /** Targets it gives now (its last good content, less any clashing with others). */
  readonly targets: number;
}

// Named as exporter/metrics/names.ts names metrics (the lead's file: these belong there when merged).
const SUCCESS: ObservedSpec = {
  name: 'netdiag_target_file_success',
  description:
    'Whether the last read of a target file (target_groups) was good; 0: it keeps its last good targets.',
  kind: 'gauge',
};
const LAST_SUCCESS: ObservedSpec = {
  name: 'netdiag_target_file_last_success_timestamp_seconds',
  description: 'Unix time of the last good read of a target file.',
  unit: 's',
  kind: 'gauge',
};
const TARGETS: ObservedSpec = {
  name: 'netdiag_target_file_targets',
  description: 'Targets a target file gives now.',
  kind: 'gauge',
};

/** `netdiag_target_file_*{file}`, read from `files` at each collection; a file gone loses its series. */
export function observeTargetFiles(
  meter: Meter,
  store: MetricStore | undefined,
  files: () => Iterable<TargetFileStatus>,
): ObservedBinding {
  const specs = [SUCCESS, LAST_SUCCESS, TARGETS];
  const collect = (emit: (spec: ObservedSpec, value: number, attributes: { file: string }) => void): void => {
    for (const status of files()) {
      const attributes = { file: status.file };
      emit(SUCCESS, status.success ? 1 : 0, attributes);
      if (status.lastSuccess !== undefined) emit(LAST_SUCCESS, status.lastSuccess, attributes);
      emit(TARGETS, status.targets, attributes);
    }
  };
  return store ? store.observe(specs, collect) : observeWithMeter(meter, specs, collect);
}
