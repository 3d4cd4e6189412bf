export type { Agent, AgentOptions, ReloadSummary } from './agent';
export { startAgent } from './agent';
export type { ConfigReloaderOptions, ReloadOutcome, ReloadTrigger } from './config-reloader';
export { ConfigReloader } from './config-reloader';
