// Which schema a document gets, decided from its apiVersion and kind. Compiled once per process.
import { API_VERSION, GROUP } from '../api/common';
import { KINDS, type KindInfo } from '../api/kinds';
import { editorSchema } from '../api/generate';
import { KIND_API_VERSION, KIND_CLUSTER_SCHEMA, KIND_KIND } from './kind-cluster-schema';
import { didYouMean } from './messages';
import { OCM_KINDS, OCM_MODULE_VERSION, ocmApiVersion } from '../api/ocm';
import { isOcmGroupVersion, ocmKindOf, ocmSchema } from './ocm-schemas';
import { compileSchema, type CompiledSchema, type JsonSchema } from './schema';

export interface DocumentTarget {
  /** kokpit.dev kinds, the kind cluster config, or Open Cluster Management's kinds (their CRD schemas). */
  family: 'kokpit' | 'kind' | 'ocm';
  kind: string;
  info?: KindInfo;
  schema: CompiledSchema;
}

const kokpitSchemas = new Map<string, { info: KindInfo; schema: CompiledSchema }>();
let kindClusterSchema: CompiledSchema | undefined;

/** A kind's schema, compiled the first time a document of that kind is checked (`kokpit validate` of one file
 *  compiles one, not all). */
function kokpitKind(kind: string): { info: KindInfo; schema: CompiledSchema } | undefined {
  const cached = kokpitSchemas.get(kind);
  if (cached) return cached;
  const info = KINDS.find((k) => k.kind === kind);
  if (!info) return undefined;
  const hit = { info, schema: compileSchema(editorSchema(info) as JsonSchema) };
  kokpitSchemas.set(kind, hit);
  return hit;
}

export const KOKPIT_KIND_NAMES: readonly string[] = KINDS.map((k) => k.kind);

/** Why a document claiming to be ours has no schema (unknown version or kind). */
export interface TargetProblem {
  field: 'apiVersion' | 'kind';
  code: string;
  message: string;
}

/** The schema for a document, a problem to report, or undefined for documents kokpit leaves alone. */
export function documentTarget(apiVersion: unknown, kind: unknown): DocumentTarget | TargetProblem | undefined {
  if (apiVersion === KIND_API_VERSION && kind === KIND_KIND) {
    kindClusterSchema ??= compileSchema(KIND_CLUSTER_SCHEMA);
    return { family: 'kind', kind: KIND_KIND, schema: kindClusterSchema };
  }
  if (isOcmGroupVersion(apiVersion)) return ocmTarget(apiVersion, kind);
  if (typeof apiVersion !== 'string' || !apiVersion.startsWith(`${GROUP}/`)) return undefined;
  if (apiVersion !== API_VERSION) {
    return {
      field: 'apiVersion',
      code: 'unknown-api-version',
      message: `unknown API version "${apiVersion}": kokpit serves ${API_VERSION} (kinds: ${KOKPIT_KIND_NAMES.join(', ')})`,
    };
  }
  const hit = typeof kind === 'string' ? kokpitKind(kind) : undefined;
  if (!hit) {
    const guess = typeof kind === 'string' ? didYouMean(kind, KOKPIT_KIND_NAMES) : undefined;
    const what =
      typeof kind === 'string'
        ? `unknown kind "${kind}" in ${API_VERSION}${guess ? `; did you mean "${guess}"?` : ''}`
        : `a ${API_VERSION} document needs a kind`;
    return { field: 'kind', code: 'unknown-kind', message: `${what} Known kinds: ${KOKPIT_KIND_NAMES.join(', ')}` };
  }
  return { family: 'kokpit', kind: hit.info.kind, info: hit.info, schema: hit.schema };
}

/** An OCM document: its CRD's schema, or which apiVersion/kind pairs exist in that group. */
function ocmTarget(apiVersion: string, kind: unknown): DocumentTarget | TargetProblem {
  const hit = ocmKindOf(apiVersion, kind);
  if (hit) return { family: 'ocm', kind: hit.kind, schema: ocmSchema(hit) };
  const group = apiVersion.split('/')[0];
  const inGroup = OCM_KINDS.filter((k) => k.group === group);
  const sameKind = inGroup.find((k) => k.kind === kind);
  if (sameKind) {
    const message = `${sameKind.kind} is served as ${ocmApiVersion(sameKind)} (OCM ${OCM_MODULE_VERSION}), not "${apiVersion}"`;
    return { field: 'apiVersion', code: 'unknown-api-version', message };
  }
  const names = inGroup.map((k) => k.kind);
  const guess = typeof kind === 'string' ? didYouMean(kind, names) : undefined;
  const what =
    typeof kind === 'string'
      ? `unknown kind "${kind}" in ${group}${guess ? `; did you mean "${guess}"?` : ''}`
      : `a ${group} document needs a kind`;
  const known = inGroup.map((k) => `${k.kind} (${ocmApiVersion(k)})`).join(', ');
  return { field: 'kind', code: 'unknown-kind', message: `${what} Known kinds: ${known}` };
}

export function isTarget(t: DocumentTarget | TargetProblem | undefined): t is DocumentTarget {
  return !!t && 'schema' in t;
}
