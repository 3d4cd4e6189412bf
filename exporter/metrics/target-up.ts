import type { Attributes } from '@opentelemetry/api';
import { METRIC } from './names';
import type { Emit, ObservedSpec } from './observed';

const SPEC = {
  addresses: {
    name: METRIC.targetAddresses,
    description: 'Addresses a target resolved to (0: unresolved).',
    kind: 'gauge',
  },
  up: {
    name: METRIC.targetUp,
    description:
      'Whether the target answered: 1 when a ping or knock window (ping.window, knock.window) holds an answer or the latest trace round reached it; 0 when every enabled probe lost everything or the name does not resolve.',
    kind: 'gauge',
  },
} as const satisfies Record<string, ObservedSpec>;

interface TargetState {
  readonly attributes: Attributes;
  addresses: number;
  /** Within one collection: a probe window of the target held a result, and one held an answer. */
  results: boolean;
  answered: boolean;
}

/**
 * The per-target series that belong to no single probe: `netdiag_target_addresses` and
 * `netdiag_target_up`. The probe metrics report each window's outcome during a collection
 * (`observe`), then `collect` emits the verdict and forgets it: up is read at each scrape, as the
 * windows it summarises are.
 */
export class TargetUp {
  static readonly specs: readonly ObservedSpec[] = Object.values(SPEC);
  private readonly targets = new Map<string, TargetState>();

  /** `attributes`: target and its static labels. */
  setAddresses(target: string, attributes: Attributes, count: number): void {
    const state = this.targets.get(target);
    if (state && state.attributes === attributes) state.addresses = count;
    else this.targets.set(target, { attributes, addresses: count, results: false, answered: false });
  }

  /** One probe window of `target` during a collection: whether it held a result, and an answer. */
  observe(target: string, results: boolean, answered: boolean): void {
    const state = this.targets.get(target);
    if (!state) return;
    state.results ||= results;
    state.answered ||= answered;
  }

  /**
   * Up is absent while a resolved target has no result yet (just started): neither up nor down.
   * A target that resolves to nothing is down whatever its windows still hold.
   */
  collect(emit: Emit): void {
    for (const state of this.targets.values()) {
      emit(SPEC.addresses, state.addresses, state.attributes);
      if (state.addresses === 0) emit(SPEC.up, 0, state.attributes);
      else if (state.results) emit(SPEC.up, state.answered ? 1 : 0, state.attributes);
      state.results = false;
      state.answered = false;
    }
  }

  forget(target: string): void {
    this.targets.delete(target);
  }

  clear(): void {
    this.targets.clear();
  }
}
