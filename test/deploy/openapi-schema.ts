/**
 * A structural OpenAPI v3 schema as a CustomResourceDefinition carries it, and a strict check of a
 * value against it the way the API server checks a custom resource: an object schema that lists
 * `properties` is closed (an unknown field is an error, as with `kubectl apply --validate=strict`)
 * unless it says `x-kubernetes-preserve-unknown-fields`; `x-kubernetes-int-or-string` takes both;
 * a `map` list's keys are unique. Only the keywords the CRDs this project vendors use.
 */
export interface OpenApiSchema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly additionalProperties?: OpenApiSchema | boolean;
  readonly required?: readonly string[];
  readonly items?: OpenApiSchema;
  readonly anyOf?: readonly OpenApiSchema[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

/** Every violation of `schema` by `value`, as `path: what` (empty: valid). */
export function schemaErrors(value: unknown, schema: OpenApiSchema, at = '$'): string[] {
  if (schema['x-kubernetes-int-or-string'])
    return Number.isInteger(value) || typeof value === 'string' ? [] : [`${at}: not an integer or string`];
  if (schema.anyOf && !schema.anyOf.some((branch) => schemaErrors(value, branch, at).length === 0))
    return [`${at}: matches none of anyOf`];
  const errors: string[] = [];
  const typeError = wrongType(value, schema.type);
  if (typeError) return [`${at}: ${typeError}`];
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${at}: too short`);
    if (schema.pattern !== undefined && !patternOf(schema.pattern).test(value))
      errors.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    value.forEach(
      (item, i) => schema.items && errors.push(...schemaErrors(item, schema.items, `${at}[${i}]`)),
    );
    const keys = schema['x-kubernetes-list-map-keys'];
    if (schema['x-kubernetes-list-type'] === 'map' && keys) {
      const seen = new Set<string>();
      for (const item of value as Record<string, unknown>[]) {
        const key = JSON.stringify(keys.map((k) => item[k]));
        if (seen.has(key)) errors.push(`${at}: duplicate entry ${key}`);
        seen.add(key);
      }
    }
  }
  if (isObject(value)) {
    for (const name of schema.required ?? [])
      if (!(name in value)) errors.push(`${at}: missing required field ${name}`);
    for (const [name, field] of Object.entries(value)) {
      const known = schema.properties?.[name];
      const extra = schema.additionalProperties;
      if (known) errors.push(...schemaErrors(field, known, `${at}.${name}`));
      else if (typeof extra === 'object') errors.push(...schemaErrors(field, extra, `${at}.${name}`));
      else if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields'] && extra !== true)
        errors.push(`${at}: unknown field ${name}`);
    }
  }
  return errors;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wrongType(value: unknown, type: OpenApiSchema['type']): string | undefined {
  const ok =
    type === undefined ||
    (type === 'object' && isObject(value)) ||
    (type === 'array' && Array.isArray(value)) ||
    (type === 'string' && typeof value === 'string') ||
    (type === 'integer' && Number.isInteger(value)) ||
    (type === 'number' && typeof value === 'number') ||
    (type === 'boolean' && typeof value === 'boolean');
  return ok ? undefined : `${JSON.stringify(value)?.slice(0, 60)} is not of type ${type}`;
}

/** Go's leading `(?i)` (case-insensitive) is a flag in JavaScript. */
function patternOf(pattern: string): RegExp {
  return pattern.startsWith('^(?i)') ? new RegExp(`^${pattern.slice(5)}`, 'i') : new RegExp(pattern);
}
