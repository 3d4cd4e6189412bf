export { PingProber } from './ping-prober';
export { seriesAttributes } from './series-attributes';
export { KnockProber } from './knock-prober';
export { TraceProber, traceRound } from './trace-prober';
