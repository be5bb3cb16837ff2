// `kokpit install` / `kokpit uninstall`: the manager in the meta cluster, from the same files `kubectl apply -k
// config/default` reads (config/crd, config/rbac, config/manager). Only kustomize's `resources` field is used
// there, so reading it needs no kustomize; a kustomization with any other field is refused rather than misread
// (test/unit/local/install.test.ts compares this rendering with `kubectl kustomize config/default`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ApiextensionsV1Api,
  AuthorizationV1Api,
  VersionApi,
  type KubeConfig,
  type KubernetesObject,
  type KubernetesObjectApi,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KINDS } from '../api/kinds';
import { API_VERSION, GROUP } from '../api/common';
import { briefError } from '../controller/reconciler';
import { applyCRDs } from '../controlplane/crds';
import { waitFor } from '../controlplane/wait';
import { applyObject, describeKubeError, isNotFound, makeObjectApi } from '../kube';
import { packageDir } from './assets';

export const INSTALL_NAMESPACE = 'kokpit-system';
export const MANAGER_DEPLOYMENT = 'kokpit-manager';

export interface RenderInstallOptions {
  /** The manager's image (default: the one in config/manager, kokpit.dev/kokpit-manager:<version>). */
  image?: string;
  replicas?: number;
  /** The config/default directory (default: the packaged one). */
  dir?: string;
  /**
   * Also the multicluster operator (`--with-multicluster`): config/multicluster's grants, and the manager run with
   * `--controllers=…,multicluster`, as `kubectl kustomize config/with-multicluster` renders it.
   */
  multicluster?: boolean;
}

/** The manager's controllers with the multicluster operator (config/with-multicluster's patch). */
export const MULTICLUSTER_CONTROLLERS_ARG = '--controllers=etcd,cluster,machine,rollout,multicluster';

/** Every object of a kustomization directory, in `resources` order (directories recursively). */
export function readKustomization(dir: string): KubernetesObject[] {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${dir} has no kustomization.yaml`);
  const k = (parseAllDocuments(fs.readFileSync(file, 'utf8'))[0]?.toJS() ?? {}) as Record<string, unknown>;
  const other = Object.keys(k).filter((f) => !['apiVersion', 'kind', 'resources'].includes(f));
  if (other.length) throw new Error(`${file}: only "resources" is supported here, not ${other.join(', ')}`);
  const out: KubernetesObject[] = [];
  for (const r of (k.resources ?? []) as string[]) {
    const p = path.resolve(dir, r);
    if (fs.statSync(p).isDirectory()) {
      out.push(...readKustomization(p));
      continue;
    }
    for (const doc of parseAllDocuments(fs.readFileSync(p, 'utf8'))) {
      if (doc.errors.length) throw new Error(`${p}: ${doc.errors[0].message}`);
      const obj = doc.toJS() as KubernetesObject | null;
      if (obj) out.push(obj);
    }
  }
  return out;
}

// kustomize's order (its "legacy" sort), so what a thing depends on is applied before it: the namespace first.
const KIND_ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Service',
];
const kindRank = (o: KubernetesObject) => (KIND_ORDER.includes(o.kind!) ? KIND_ORDER.indexOf(o.kind!) : KIND_ORDER.length);

/** What `kokpit install` applies: config/default with the image and replicas given, in kustomize's order. */
export function renderInstall(o: RenderInstallOptions = {}): KubernetesObject[] {
  const objects = [
    ...readKustomization(o.dir ?? packageDir('config/default')),
    ...(o.multicluster ? readKustomization(packageDir('config/multicluster')) : []),
  ].sort((a, b) => kindRank(a) - kindRank(b) || objectName(a).localeCompare(objectName(b)));
  for (const obj of objects) {
    if (obj.kind !== 'Deployment' || obj.metadata?.name !== MANAGER_DEPLOYMENT) continue;
    type Container = { name: string; image: string; args?: string[] };
    const spec = (obj as { spec: { replicas?: number; template: { spec: { containers: Container[] } } } }).spec;
    if (o.replicas !== undefined) spec.replicas = o.replicas;
    if (o.image) spec.template.spec.containers.find((c) => c.name === 'manager')!.image = o.image;
    if (o.multicluster)
      spec.template.spec.containers[0].args = [...(spec.template.spec.containers[0].args ?? []), MULTICLUSTER_CONTROLLERS_ARG];
  }
  return objects;
}

/** `kind/name` (with the namespace when it has one). */
export const objectName = (o: KubernetesObject) =>
  `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);

/** The resource (plural.group) and scope of an object `kokpit install` applies, for permission checks. */
function resourceOf(o: KubernetesObject): { group: string; resource: string; namespace?: string } {
  const group = o.apiVersion?.includes('/') ? o.apiVersion.split('/')[0] : '';
  const resource = `${o.kind!.toLowerCase()}s`; // every kind install applies has a regular plural
  return { group, resource, namespace: CLUSTER_SCOPED.has(o.kind!) ? undefined : o.metadata?.namespace };
}

/** The API server answers at all (`/version`, which every client may read). */
export async function assertReachable(kc: KubeConfig): Promise<void> {
  const server = kc.getCurrentCluster()?.server;
  try {
    await kc.makeApiClient(VersionApi).getCode();
  } catch (e) {
    throw new Error(`cannot reach the meta cluster at ${server}: ${briefError(e)}`, { cause: e });
  }
}

/** The permissions `verbs` on every object's resource this user lacks (SelfSubjectAccessReview), as `verb resource (where)`. */
export async function missingPermissions(kc: KubeConfig, objects: KubernetesObject[], verbs: string[]): Promise<string[]> {
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const checks = new Map<string, { verb: string; group: string; resource: string; namespace?: string }>();
  for (const o of objects) {
    const r = resourceOf(o);
    for (const verb of verbs) checks.set(`${verb} ${r.resource}.${r.group} ${r.namespace ?? ''}`, { verb, ...r });
  }
  const missing: string[] = [];
  await Promise.all(
    [...checks.values()].map(async (c) => {
      const review = await authz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { verb: c.verb, group: c.group, resource: c.resource, namespace: c.namespace } } },
      });
      if (!review.status?.allowed)
        missing.push(
          `${c.verb} ${c.resource}${c.group ? `.${c.group}` : ''} (${c.namespace ? `namespace ${c.namespace}` : 'cluster-wide'})`,
        );
    }),
  );
  return missing.sort();
}

/**
 * Applies the rendered objects with server-side apply (kokpit's field manager): the CRDs first, waiting until
 * they are Established, then the rest in file order (namespace, RBAC, Deployment). Nothing is applied when a
 * permission is missing; every step is an apply, so running it again converges on the same objects.
 */
export async function installManager(kc: KubeConfig, objects: KubernetesObject[], log: (line: string) => void): Promise<void> {
  await assertReachable(kc);
  const missing = await missingPermissions(kc, objects, ['create', 'patch']);
  if (missing.length)
    throw new Error(
      `missing permission${missing.length === 1 ? '' : 's'} to install (nothing was applied): ${missing.join(', ')}. ` +
        'Run `kokpit install` as a cluster administrator, or have one grant these.',
    );
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length) {
    // Through applyCRDs' raw apply: client-node's typed model would drop enums, defaults and CEL rules.
    await applyCRDs(kc, crds as V1CustomResourceDefinition[]);
    await kindsServed(makeObjectApi(kc));
    log(`${crds.length} CustomResourceDefinitions applied and established`);
  }
  const api = makeObjectApi(kc);
  for (const o of objects.filter((x) => x.kind !== 'CustomResourceDefinition')) {
    try {
      await applyObject(api, o);
    } catch (e) {
      throw new Error(`${objectName(o)}: ${describeKubeError(e)} (what was applied before it stays; run kokpit install again)`, {
        cause: e,
      });
    }
    log(`${objectName(o)} applied`);
  }
}

/** kokpit's custom resources: `kind` and plural of every CRD kind, as listed by the API server. */
const kokpitKinds = () => KINDS.filter((k) => k.crd);

/**
 * Waits until every kokpit kind can be listed: a CRD that was just changed is Established while its storage is
 * still (re)initializing, and the API server answers 429 for a moment.
 */
async function kindsServed(api: KubernetesObjectApi, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    'every kokpit kind served',
    async (state) => {
      for (const k of kokpitKinds()) {
        try {
          await api.list(API_VERSION, k.kind, undefined, undefined, undefined, undefined, undefined, undefined, 1);
        } catch (e) {
          if ((e as { code?: number }).code !== 429) throw e;
          state.lastReason = `${k.plural}: ${briefError(e)}`;
          return undefined;
        }
      }
      return true;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

async function deleteIfPresent(api: KubernetesObjectApi, o: KubernetesObject): Promise<boolean> {
  try {
    await api.delete(o, undefined, undefined, undefined, undefined, 'Background');
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw new Error(`delete ${objectName(o)}: ${describeKubeError(e)}`, { cause: e });
  }
}

/**
 * Removes the manager (Deployment, RBAC, ServiceAccount, its namespace with the lease). The CRDs and every
 * kokpit object stay unless `purge`: then every kokpit object is deleted first, while the manager still runs
 * to finish their finalizers, and the CRDs last.
 */
export async function uninstallManager(
  kc: KubeConfig,
  objects: KubernetesObject[],
  o: { purge: boolean; timeoutMs?: number; log: (line: string) => void },
): Promise<void> {
  await assertReachable(kc);
  const api = makeObjectApi(kc);
  if (o.purge) {
    await kindsServed(api);
    for (const k of kokpitKinds()) {
      const list = await api.list(API_VERSION, k.kind).catch((e) => {
        if (isNotFound(e)) return { items: [] as KubernetesObject[] };
        throw new Error(`list ${k.plural}.${GROUP}: ${describeKubeError(e)}`);
      });
      for (const item of list.items) {
        await deleteIfPresent(api, { apiVersion: API_VERSION, kind: k.kind, metadata: item.metadata });
        o.log(`${k.kind}/${item.metadata?.namespace}/${item.metadata?.name} deleted`);
      }
    }
    await waitFor(
      'every kokpit object gone (their finalizers run in the manager)',
      async () => {
        for (const k of kokpitKinds()) {
          const list = await api.list(API_VERSION, k.kind).catch(() => ({ items: [] }));
          if (list.items.length) return undefined;
        }
        return true;
      },
      { timeoutMs: o.timeoutMs ?? 300_000, intervalMs: 1000 },
    );
  }
  // Reverse order: the Deployment before what it runs as, the namespace (and the lease in it) last.
  for (const obj of [...objects].reverse()) {
    if (obj.kind === 'CustomResourceDefinition' && !o.purge) continue;
    if (await deleteIfPresent(api, obj)) o.log(`${objectName(obj)} deleted`);
  }
  if (o.purge) {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await waitFor(
      'the CRDs removed',
      async () => {
        const left = (await ext.listCustomResourceDefinition()).items.filter((c) => c.spec.group === GROUP);
        return left.length ? undefined : true;
      },
      { timeoutMs: o.timeoutMs ?? 300_000, intervalMs: 500 },
    );
  }
}
