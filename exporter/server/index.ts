export type { ConnectionStats, ExporterServerOptions, RequestHandler, RouteSet } from './exporter-server';
export { ExporterServer } from './exporter-server';
export type { ListenAddress } from './listen-address';
export { parseListenAddress } from './listen-address';
export type { EndpointProtection } from './exporter-server';
export type { AuthOutcome, BasicAuthOptions, Credentials, PasswordVerifier } from './basic-auth';
export { BasicAuthenticator, parseBasicAuthorization } from './basic-auth';
export type { PemSource, TlsServerConfig, WebConfig } from './web-config';
export { parseWebConfig } from './web-config';
export type { TlsMaterial } from './tls-options';
export { readTlsMaterial } from './tls-options';
export type { WebProtectionOptions } from './web-protection';
export { WebProtection } from './web-protection';
export type { ConnectionLimits } from './connection-limits';
export {
  CONNECTION_LIMIT_DEFAULTS,
  connectionLimits,
  defaultMaxConnections,
  readDescriptorLimit,
} from './connection-limits';
