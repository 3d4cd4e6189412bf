export type { PacingClock } from './pacing-clock';
export { systemPacingClock } from './pacing-clock';
export type { BudgetLimits, ResponderBudgetOptions } from './responder-budget';
export { LINUX_ICMP_LIMITS, ResponderBudget } from './responder-budget';
export type { RoundPacing } from './round-pacer';
export { RoundPacer } from './round-pacer';
export { expectedResponders, routerKeys } from './expected-responders';
export { mergedView, type PathView } from './path-view';
export { interleaveByTtl } from './interleave';
