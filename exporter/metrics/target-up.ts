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

/** One target's up and addresses series; kept by a caller that observes it at every collection. */
export interface TargetState {
  readonly attributes: Attributes;
  addresses: number;
  /** Within one collection: a probe window of the target held a result, and one held an answer. */
  results: boolean;
  answered: boolean;
  /** Replaced (new attributes) or forgotten: observations go to the target's current state, if any. */
  stale: boolean;
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
    if (state && state.attributes === attributes) {
      state.addresses = count;
      return;
    }
    if (state) state.stale = true;
    this.targets.set(target, { attributes, addresses: count, results: false, answered: false, stale: false });
  }

  /** One probe window of `target` during a collection: whether it held a result, and an answer. */
  observe(target: string, results: boolean, answered: boolean): void {
    const state = this.targets.get(target);
    if (state) observeState(state, results, answered);
  }

  /**
   * The state `observe` would find for `target` (undefined: none), for a caller that observes the
   * target at every collection (a ping series): kept while not `stale`, it saves a lookup by name
   * per series and collection (10,000 of them at 10,000 targets), passed to `observeState`.
   */
  state(target: string): TargetState | undefined {
    return this.targets.get(target);
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
    const state = this.targets.get(target);
    if (state) state.stale = true;
    this.targets.delete(target);
  }

  clear(): void {
    for (const state of this.targets.values()) state.stale = true;
    this.targets.clear();
  }
}

/** `observe` on a state from `TargetUp.state` (not stale). */
export function observeState(state: TargetState, results: boolean, answered: boolean): void {
  state.results ||= results;
  state.answered ||= answered;
}
