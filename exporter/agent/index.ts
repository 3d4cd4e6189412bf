export type { Agent, AgentOptions } from './agent';
export { startAgent } from './agent';
