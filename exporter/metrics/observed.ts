import type { Attributes, Meter, Observable, ObservableCounter, ObservableGauge } from '@opentelemetry/api';

/** A metric whose values are read at collection time (each scrape), from the exporter's own state. */
export interface ObservedSpec {
  /** Full Prometheus name. */
  readonly name: string;
  readonly description: string;
  readonly unit?: string;
  readonly kind: 'gauge' | 'counter';
}

/** Reports one value of one series during a collection. */
export type Emit = (spec: ObservedSpec, value: number, attributes: Attributes) => void;

/** Reads every current value; called once per collection. */
export type ObservedCollect = (emit: Emit) => void;

export interface ObservedBinding {
  /** Stops reporting. Idempotent. */
  detach(): void;
}

/** Binds observed metrics to observable instruments of any Meter (one batch callback). */
export function observeWithMeter(
  meter: Meter,
  specs: readonly ObservedSpec[],
  collect: ObservedCollect,
): ObservedBinding {
  const instruments = new Map<ObservedSpec, ObservableGauge | ObservableCounter>();
  for (const spec of specs) {
    const options = { description: spec.description, ...(spec.unit && { unit: spec.unit }) };
    instruments.set(
      spec,
      spec.kind === 'gauge'
        ? meter.createObservableGauge(spec.name, options)
        : meter.createObservableCounter(spec.name, options),
    );
  }
  const observables: Observable[] = [...instruments.values()];
  const callback = (result: { observe(o: Observable, v: number, a?: Attributes): void }): void =>
    collect((spec, value, attributes) => {
      const instrument = instruments.get(spec);
      if (instrument) result.observe(instrument, value, attributes);
    });
  meter.addBatchObservableCallback(callback, observables);
  let attached = true;
  return {
    detach: () => {
      if (!attached) return;
      attached = false;
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}
