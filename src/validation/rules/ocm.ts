// What OCM's admission webhooks refuse and its CRD schemas cannot say (open-cluster-management.io/ocm@v1.0.0
// pkg/work/webhook/common/validator.go): a work's manifests are not empty, at most 500 KiB together, and each names
// its object (no generateName). Checked in the editor so the mistake shows before the hub refuses it.
import { didYouMean } from '../messages';
import { OCM_MANIFEST_SIZE_LIMIT, findOcmKind } from '../../api/ocm';
import { arr, obj, str, valueAt, type RuleContext } from './context';
import type { PathSegment } from '../types';

/** Where each kind keeps the manifests it puts on clusters. */
const MANIFESTS_AT: Record<string, PathSegment[]> = {
  ManifestWork: ['spec', 'workload', 'manifests'],
  ManifestWorkReplicaSet: ['spec', 'manifestWorkTemplate', 'workload', 'manifests'],
};

export function ocmRules(ctx: RuleContext, kind: string): void {
  checkName(ctx, kind);
  const at = MANIFESTS_AT[kind];
  if (at) checkManifests(ctx, at);
}

function checkName(ctx: RuleContext, kind: string): void {
  const meta = obj(ctx.value.metadata);
  if (!meta) return; // the schema walk reported a missing metadata
  if (findOcmKind(kind)?.scope === 'Cluster' && typeof meta.namespace === 'string') {
    ctx.report(
      ['metadata', 'namespace'],
      'key',
      'warning',
      'cluster-scoped-namespace',
      `${kind} is cluster-scoped: metadata.namespace is ignored; remove it`,
    );
  }
  if (meta.name === undefined || meta.name === null) {
    if (typeof meta.generateName === 'string') return;
    ctx.report(['metadata'], 'key', 'error', 'name-required', `metadata.name is required: give the ${kind} a name`);
  }
}

function checkManifests(ctx: RuleContext, at: PathSegment[]): void {
  const manifests = arr(valueAt(ctx.value, at));
  if (!manifests) {
    // A misspelt `manifests` is the schema walk's finding (with its suggestion); one finding is enough.
    const parent = obj(valueAt(ctx.value, at.slice(0, -1)));
    if (parent && Object.keys(parent).some((k) => didYouMean(k, [String(at[at.length - 1])]))) return;
    // OCM's webhook: "Workload manifests should not be empty".
    ctx.report(at, 'key', 'error', 'manifests-empty', `${at.join('.')} needs at least one manifest: OCM refuses a work with none`);
    return;
  }
  if (manifests.length === 0) {
    ctx.report(at, 'value', 'error', 'manifests-empty', `${at.join('.')} needs at least one manifest: OCM refuses a work with none`);
    return;
  }
  let total = 0;
  manifests.forEach((m, i) => {
    total += Buffer.byteLength(JSON.stringify(m) ?? '');
    const meta = obj(obj(m)?.metadata);
    if (str(meta?.generateName) !== undefined) {
      ctx.report(
        [...at, i, 'metadata', 'generateName'],
        'key',
        'error',
        'manifest-generate-name',
        'generateName must not be set in a manifest of a work; use name',
      );
    } else if (!str(meta?.name)) {
      ctx.report([...at, i], 'key', 'error', 'manifest-name', `manifest ${i + 1} needs metadata.name: OCM applies each manifest by name`);
    }
  });
  if (total > OCM_MANIFEST_SIZE_LIMIT) {
    ctx.report(
      at,
      'key',
      'error',
      'manifests-too-large',
      `the manifests are ${total} bytes together, over OCM's limit of ${OCM_MANIFEST_SIZE_LIMIT}: split them into several works`,
    );
  }
}
