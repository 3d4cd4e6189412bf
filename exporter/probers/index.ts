export { PingProber } from './ping-prober';
export { seriesAttributes } from './series-attributes';
