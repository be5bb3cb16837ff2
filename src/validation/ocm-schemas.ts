// OCM documents are checked against OCM's own CRDs (schemas/ocm/, copied from the Go module by `npm run generate`),
// read and turned into the walker's JSON schema the first time a document of that kind is seen: offline, and the same
// engine, completion and hover as kokpit's kinds. The CRD schema is structural (the apiserver prunes unknown fields);
// for an editor an unknown field is a mistake, so objects with properties are closed here, as kubectl's strict field
// validation would refuse them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { editorMetadataSchema } from '../api/generate';
import { OCM_KINDS, OCM_SCHEMA_DIR, ocmApiVersion, ocmSchemaFile, type OcmKind } from '../api/ocm';
import { compileSchema, type CompiledSchema, type JsonSchema } from './schema';

/** The directory holding the OCM CRDs, found upward from this file (src/validation, dist/, dist/cli/) or the cwd. */
export function ocmSchemaDir(): string {
  const starts = [typeof __dirname === 'string' ? __dirname : undefined, process.cwd()].filter((s): s is string => !!s);
  for (const start of starts) {
    for (let d = start; ; d = dirname(d)) {
      const c = join(d, OCM_SCHEMA_DIR);
      if (existsSync(c) && existsSync(join(d, 'package.json'))) return c;
      if (dirname(d) === d) break;
    }
  }
  throw new Error(`cannot find ${OCM_SCHEMA_DIR} (the OCM CRDs) in the kokpit package`);
}

/** The OCM kind an apiVersion/kind pair names, if any. */
export function ocmKindOf(apiVersion: unknown, kind: unknown): OcmKind | undefined {
  return OCM_KINDS.find((k) => k.kind === kind && ocmApiVersion(k) === apiVersion);
}

/** Whether an apiVersion belongs to one of OCM's groups (a wrong version or kind there is worth a finding). */
export function isOcmGroupVersion(apiVersion: unknown): apiVersion is string {
  return typeof apiVersion === 'string' && OCM_KINDS.some((k) => apiVersion.startsWith(`${k.group}/`));
}

const compiled = new Map<string, CompiledSchema>();

/** The compiled editor schema of an OCM kind, from its CRD's openAPIV3Schema. */
export function ocmSchema(k: OcmKind): CompiledSchema {
  const hit = compiled.get(k.kind);
  if (hit) return hit;
  const crd = parse(readFileSync(join(ocmSchemaDir(), ocmSchemaFile(k)), 'utf8')) as {
    spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: JsonSchema } }> };
  };
  const version = crd.spec.versions.find((v) => v.name === k.version);
  if (!version) throw new Error(`${ocmSchemaFile(k)} has no version ${k.version}`);
  const schema = compileSchema(editorSchemaFromCrd(version.schema.openAPIV3Schema, k));
  compiled.set(k.kind, schema);
  return schema;
}

/** The CRD's schema as the editor reads it: apiVersion and kind fixed, metadata as for kokpit's kinds, objects closed. */
export function editorSchemaFromCrd(root: JsonSchema, k: OcmKind): JsonSchema {
  const out = closeObjects(root);
  out.properties = {
    ...out.properties,
    apiVersion: { type: 'string', enum: [ocmApiVersion(k)], description: `Always \`${ocmApiVersion(k)}\`.` },
    kind: { type: 'string', enum: [k.kind], description: root.description },
    metadata: editorMetadataSchema() as JsonSchema,
  };
  out.required = ['apiVersion', 'kind', 'metadata', ...(out.required ?? []).filter((r) => !['apiVersion', 'kind', 'metadata'].includes(r))];
  return out;
}

/** A copy where every object with properties refuses others (unless it preserves unknown fields), `nullable` allows
 *  null, and an int-or-string is a union whose string branch carries the pattern (the apiserver checks it on strings). */
function closeObjects(s: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, v] of Object.entries(s)) {
    if (key === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v as Record<string, JsonSchema>).map(([n, c]) => [n, closeObjects(c)]));
    } else if ((key === 'items' || key === 'additionalProperties') && v && typeof v === 'object') out[key] = closeObjects(v as JsonSchema);
    else if (key !== 'x-kubernetes-validations' && key !== 'anyOf') out[key] = v;
  }
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields'])
    out.additionalProperties = false;
  // An embedded object (a work's manifests): the apiserver requires its apiVersion and kind, and checks its metadata.
  if (out['x-kubernetes-embedded-resource'] && !out.properties) {
    out.properties = { apiVersion: { type: 'string', minLength: 1 }, kind: { type: 'string', minLength: 1 }, metadata: { type: 'object' } };
    out.required = ['apiVersion', 'kind'];
  }
  // A required field with a default is filled in by the apiserver before it validates: not required of the writer.
  if (Array.isArray(out.required) && out.properties) {
    const props = out.properties;
    out.required = out.required.filter((r) => !(props[r] && 'default' in props[r]));
    if (out.required.length === 0) delete out.required;
  }
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (out['x-kubernetes-int-or-string']) {
    const { pattern, maxLength, minLength, minimum, maximum } = out;
    for (const k of ['type', 'pattern', 'maxLength', 'minLength', 'minimum', 'maximum']) delete out[k];
    out.anyOf = [
      { type: 'integer', ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) },
      { type: 'string', ...(pattern !== undefined ? { pattern } : {}), ...(maxLength !== undefined ? { maxLength } : {}) },
    ] as JsonSchema[];
    if (minLength !== undefined) (out.anyOf[1] as JsonSchema).minLength = minLength as number;
  }
  return out;
}
