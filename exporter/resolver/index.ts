export { systemLookup } from './system-lookup';
export type { LookupAll, ResolvedAddress, TargetResolverEvents } from './target-resolver';
export { select, TargetResolver } from './target-resolver';
export { ringSuccessors } from './select-addresses';
