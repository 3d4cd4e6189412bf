export type { Agent, AgentOptions, ReloadSummary } from './agent';
export { startAgent } from './agent';
export type { ConfigReloaderOptions, ReloadOutcome, ReloadTrigger } from './config-reloader';
export { ConfigReloader } from './config-reloader';
export type { IdentifierCounts } from './capacity';
export { checkIdentifierCapacity, ICMP_IDENTIFIERS_PER_FAMILY } from './capacity';
