export type { ExporterServerOptions, RequestHandler } from './exporter-server';
export { ExporterServer } from './exporter-server';
export type { ListenAddress } from './listen-address';
export { parseListenAddress } from './listen-address';
