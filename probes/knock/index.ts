export type { KnockAnswer, KnockFailure, KnockResult, PortState } from './knock-result';
export type { KnockSessionSpec } from './knock-session';
export { KnockSession } from './knock-session';
export type { KnockerOptions, KnockRequest } from './knocker';
export { Knocker } from './knocker';
