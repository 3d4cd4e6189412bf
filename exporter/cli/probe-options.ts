/** Flags every one-shot probe command (ping, knock, trace) takes, for node:util parseArgs. */
export const PROBE_OPTIONS = {
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  bind: { type: 'string' },
  interface: { type: 'string' },
  json: { type: 'boolean' },
} as const;
