import type { Attributes } from '@opentelemetry/api';
import type { Shard } from '../config';
import { usageError } from '../errors';
import { envValue, type Environment } from './environment';

export interface AgentResourceOptions {
  env: Environment;
  /** os.hostname(). */
  hostname: string;
  /** package.json's. */
  version: string;
  /** The config's otlp.resource_attributes. */
  configured?: Readonly<Record<string, string>>;
  shard?: Shard;
}

/**
 * The name of this agent: POD_NAME, else HOSTNAME, else the host name. A StatefulSet pod keeps its
 * name across restarts, so its service.instance.id and shard ordinal stay the same.
 */
export function agentInstanceName(env: Environment, hostname: string): string {
  return envValue(env, 'POD_NAME') ?? envValue(env, 'HOSTNAME') ?? hostname;
}

/**
 * The resource naming this agent, on OTLP pushes and on Prometheus' target_info alike. Later layers
 * win: service.name=netdiag-exporter, service.version, service.instance.id; then
 * OTEL_RESOURCE_ATTRIBUTES; then OTEL_SERVICE_NAME; then the config's otlp.resource_attributes;
 * then netdiag.shard.index / netdiag.shard.count when sharded.
 */
export function agentResource(options: AgentResourceOptions): Attributes {
  const { env, shard } = options;
  const serviceName = envValue(env, 'OTEL_SERVICE_NAME');
  return {
    'service.name': 'netdiag-exporter',
    'service.version': options.version,
    'service.instance.id': agentInstanceName(env, options.hostname),
    ...parseResourceAttributes(envValue(env, 'OTEL_RESOURCE_ATTRIBUTES')),
    ...(serviceName && { 'service.name': serviceName }),
    ...options.configured,
    ...(shard && { 'netdiag.shard.index': shard.index, 'netdiag.shard.count': shard.count }),
  };
}

/** `key1=value1,key2=value2`, keys and values percent-decoded (`,` and `=` must be encoded). */
export function parseResourceAttributes(text: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const item of (text ?? '').split(',')) {
    if (item.trim() === '') continue;
    const parts = item.split('=');
    const key = decode(parts[0]?.trim() ?? '', item);
    if (parts.length !== 2 || key === '')
      throw usageError(
        `OTEL_RESOURCE_ATTRIBUTES: "${item}" is not key=value (encode "," and "=" as %2C and %3D)`,
      );
    attributes[key] = decode(parts[1]?.trim() ?? '', item);
  }
  return attributes;
}

function decode(text: string, item: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw usageError(`OTEL_RESOURCE_ATTRIBUTES: "${item}" is not validly percent-encoded`);
  }
}
