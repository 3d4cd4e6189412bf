/** Flags every one-shot probe command (ping, knock, trace) takes, for node:util parseArgs. */
export const PROBE_OPTIONS = {
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  bind: { type: 'string' },
  interface: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The repetition flags of ping and knock, spelt as iputils ping spells them. */
export const REPEAT_OPTIONS = {
  count: { type: 'string', short: 'c' },
  interval: { type: 'string', short: 'i' },
  timeout: { type: 'string', short: 'W' },
} as const;
