import { BUILT_IN_KNOCK, type KnockSettings, readKnockBlock } from './knock';
import { BUILT_IN_PING, type PingSettings, readPing } from './ping';
import { type Field, present, type Reader } from './reader';
import { GLOBAL_BLOCK } from './setting';
import { BUILT_IN_TRACE, readTrace, type TraceSettings } from './trace';

const DEFAULTS_KEYS = ['ping', 'knock', 'trace'] as const;

/** What each target's probe blocks are merged over. */
export interface ProbeDefaults {
  readonly ping: PingSettings;
  /** Merged over by every block of a target's `knock` list. */
  readonly knock: KnockSettings;
  readonly trace: TraceSettings;
}

/** The `defaults` block over the built-in defaults. */
export function readProbeDefaults(r: Reader, field: Field | undefined): ProbeDefaults {
  const entries = field && r.map(field, DEFAULTS_KEYS);
  const block = (key: (typeof DEFAULTS_KEYS)[number]): Field | undefined => present(entries?.get(key));
  return {
    ping: readPing(r, block('ping'), GLOBAL_BLOCK, BUILT_IN_PING),
    knock: readKnockBlock(r, block('knock'), GLOBAL_BLOCK, BUILT_IN_KNOCK),
    trace: readTrace(r, block('trace'), GLOBAL_BLOCK, BUILT_IN_TRACE),
  };
}
