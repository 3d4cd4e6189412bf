import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { repoRoot } from '../support/paths';

/**
 * Validates rendered objects the way the API server does, against the schemas vendored by
 * scripts/vendor-k8s-schemas.mjs (Kubernetes 1.30 and the Prometheus operator's CRDs):
 * - every object schema that lists `properties` is closed (an unknown or misplaced field is an error)
 *   unless it carries x-kubernetes-preserve-unknown-fields;
 * - int-or-string fields (and Quantity) take an integer or a string, numbers for Quantity too;
 * - `format` is not checked (the API server parses int32/int64/byte itself; ajv knows none of them).
 */

const fixtures = path.join(repoRoot, 'test', 'deploy', 'fixtures', 'k8s-schemas');
type Schema = { [key: string]: unknown };

const INT_OR_STRING = { anyOf: [{ type: 'integer' }, { type: 'string' }] };
const QUANTITY = { anyOf: [{ type: 'number' }, { type: 'string' }] };

function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const schema = node as Schema;
  if (schema.format === 'int-or-string' || schema['x-kubernetes-int-or-string'] === true)
    return INT_OR_STRING;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'format' && typeof value === 'string') continue;
    // `properties`, `definitions` and `patternProperties` are maps of names to schemas, not schemas.
    out[key] =
      ['properties', 'definitions', 'patternProperties'].includes(key) &&
      value !== null &&
      typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([name, child]) => [name, strict(child)]))
        : strict(value);
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    !schema['x-kubernetes-preserve-unknown-fields']
  )
    out.additionalProperties = false;
  return out;
}

interface KindSchema {
  apiVersion: string;
  kind: string;
  validate: (object: unknown) => string[];
}

/** A validator per apiVersion/kind the vendored schemas cover. */
export function loadKubernetesSchemas(): Map<string, KindSchema> {
  const ajv = new Ajv({ allErrors: true, schemaId: 'auto', unknownFormats: 'ignore' });
  ajv.addKeyword('x-kubernetes-group-version-kind', { valid: true });
  const raw = JSON.parse(readFileSync(path.join(fixtures, 'kubernetes-1.30.json'), 'utf8')) as {
    definitions: Record<string, Schema>;
  };
  const definitions = strict(raw.definitions) as Record<string, Schema>;
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = QUANTITY;
  ajv.addSchema({ definitions }, 'k8s');
  const byKind = new Map<string, KindSchema>();
  const explain = (validate: Ajv.ValidateFunction) => (object: unknown) =>
    validate(object)
      ? []
      : (validate.errors ?? []).map(
          (e) =>
            `${e.dataPath || '.'} ${e.message}${'additionalProperty' in e.params ? `: ${JSON.stringify(e.params)}` : ''}`,
        );
  for (const [name, definition] of Object.entries(raw.definitions)) {
    const gvks = definition['x-kubernetes-group-version-kind'] as
      { group: string; version: string; kind: string }[] | undefined;
    for (const { group, version, kind } of gvks ?? []) {
      const apiVersion = group ? `${group}/${version}` : version;
      const validate = ajv.compile({ $ref: `k8s#/definitions/${name}` });
      byKind.set(`${apiVersion}/${kind}`, { apiVersion, kind, validate: explain(validate) });
    }
  }
  const crds = JSON.parse(readFileSync(path.join(fixtures, 'crds.json'), 'utf8')) as Record<string, Schema>;
  for (const [gvk, schema] of Object.entries(crds)) {
    const kind = gvk.split('/').at(-1)!;
    const apiVersion = gvk.slice(0, -kind.length - 1);
    byKind.set(gvk, { apiVersion, kind, validate: explain(ajv.compile(strict(schema) as object)) });
  }
  return byKind;
}
