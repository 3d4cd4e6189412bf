#!/usr/bin/env node
// Vendors the schemas the Helm chart's objects are validated against (test/deploy/helm-schemas.test.ts)
// into test/deploy/fixtures/k8s-schemas/: from the Kubernetes 1.30 OpenAPI, only the definitions the
// chart's kinds reach through $ref; from the Prometheus operator's CRDs, the openAPIV3Schema of each
// served version. Descriptions are dropped (they are most of the size, and no rule reads them); nothing
// else is changed: the rules that close objects and accept int-or-string live in test/deploy/k8s-schema.ts.
//
//   node scripts/vendor-k8s-schemas.mjs [SOURCE_DIR]     (default: ../shared/schemas/kubernetes)
//
// A kind the chart starts rendering goes into KINDS (or CRDS) below; run the script and commit its output.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = resolve(process.argv[2] ?? join(root, '..', 'shared', 'schemas', 'kubernetes'));
const out = join(root, 'test', 'deploy', 'fixtures', 'k8s-schemas');

/** Kubernetes kinds the chart renders, as swagger definition names. */
const KINDS = [
  'io.k8s.api.apps.v1.DaemonSet',
  'io.k8s.api.apps.v1.Deployment',
  'io.k8s.api.apps.v1.StatefulSet',
  'io.k8s.api.core.v1.ConfigMap',
  'io.k8s.api.core.v1.Secret',
  'io.k8s.api.core.v1.Service',
  'io.k8s.api.core.v1.ServiceAccount',
  'io.k8s.api.policy.v1.PodDisruptionBudget',
];
/** CustomResourceDefinition files (of the source directory) of the custom kinds the chart renders. */
const CRDS = ['servicemonitors.yaml', 'podmonitors.yaml'];
const SWAGGER = 'swagger-v1.30.json';

function withoutDescriptions(node) {
  if (Array.isArray(node)) return node.map(withoutDescriptions);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'description' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutDescriptions(value)]),
  );
}

function refsOf(node, found = new Set()) {
  if (Array.isArray(node)) node.forEach((item) => refsOf(item, found));
  else if (node !== null && typeof node === 'object')
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.add(value.replace('#/definitions/', ''));
      else refsOf(value, found);
    }
  return found;
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const swaggerText = readFileSync(join(source, SWAGGER), 'utf8');
const { definitions } = JSON.parse(swaggerText);
const kept = {};
const pending = [...KINDS];
while (pending.length > 0) {
  const name = pending.pop();
  if (kept[name]) continue;
  if (!definitions[name]) throw new Error(`${SWAGGER} has no definition ${name}`);
  kept[name] = withoutDescriptions(definitions[name]);
  pending.push(...refsOf(kept[name]));
}
const sorted = Object.fromEntries(
  Object.keys(kept)
    .sort()
    .map((name) => [name, kept[name]]),
);

const crds = {};
const provenance = [`${SWAGGER} sha256 ${sha256(swaggerText)}`];
for (const file of CRDS) {
  const text = readFileSync(join(source, file), 'utf8');
  const crd = parse(text);
  for (const version of crd.spec.versions.filter((v) => v.served)) {
    const gvk = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
    crds[gvk] = withoutDescriptions(version.schema.openAPIV3Schema);
  }
  provenance.push(`${file} sha256 ${sha256(text)}`);
}

/** Writes JSON as the repository's prettier config formats it, so that `npm run lint` passes. */
async function writeJson(file, value) {
  const options = { ...(await prettier.resolveConfig(file)), filepath: file };
  writeFileSync(file, await prettier.format(JSON.stringify(value), options));
}

mkdirSync(out, { recursive: true });
await writeJson(join(out, 'kubernetes-1.30.json'), { definitions: sorted });
await writeJson(join(out, 'crds.json'), crds);
writeFileSync(
  join(out, 'PROVENANCE'),
  [
    'Written by scripts/vendor-k8s-schemas.mjs (do not edit): descriptions dropped, nothing else changed.',
    'kubernetes-1.30.json: the definitions reached from these kinds in the Kubernetes 1.30 OpenAPI',
    '(kubernetes-client/python v30.1.0, kubernetes/swagger.json.unprocessed):',
    ...KINDS.map((kind) => `  ${kind}`),
    'crds.json: spec.versions[].schema.openAPIV3Schema of the Prometheus operator v0.93.0 CRDs',
    '(prometheus-operator/prometheus-operator, example/prometheus-operator-crd/), by group/version/kind.',
    'Sources:',
    ...provenance.map((line) => `  ${line}`),
    '',
  ].join('\n'),
);
process.stdout.write(
  `${Object.keys(sorted).length} definitions, ${Object.keys(crds).length} CRD versions -> ${out}\n`,
);
