// Importing a cluster kokpit did not create (`kokpit register` / `kokpit deregister`): every check first (hub
// installed, name free, cluster reachable, permissions the agent needs), then the writes, each compare-before-write
// so a second run converges and writes nothing when nothing changed. Deregistering deletes the ManagedCluster while
// its agent still runs (the agent removes the works' finalizers and OCM's hub keeps the agent's RBAC until then),
// then the agent, its identity in the imported cluster (imported-identity.ts: the user's kubeconfig only sets it up,
// the agent never gets it), the hub namespace OCM leaves behind, and the credentials last: the kubeconfig Secret's
// import label is what lets a deregister that was interrupted finish.
import * as fs from 'node:fs';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  VersionApi,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1Namespace,
  type V1Secret,
} from '@kubernetes/client-node';
import { Value } from '@sinclair/typebox/value';
import type { BusinessCluster } from '../../api';
import { MulticlusterSpec } from '../../api/business-cluster';
import { OCM_INSTALL_HINT } from '../../api/ocm';
import { describeKubeError, isNotFound, listObjects, loadKubeConfig, makeObjectApi, toKubeApiError } from '../../kube';
import { unservedResources } from '../../kube/discovery';
import { Applier, contentHash } from '../../kit';
import { AGENT_NAMESPACE, agentNames, META_KUBECONFIG_CONFIGMAP, managedClusterName } from './names';
import { ensureImportedIdentity, IdentityError, importedAgentKubeconfig, removeImportedIdentity } from './imported-identity';
import { renderAgent, type ManagedClusterObject } from './render/agent';
import { ensureCRD } from './hub';
import { crdObjects } from './render/hub';
import {
  AGENT_PERMISSIONS,
  clusterNameProblem,
  describeOwner,
  IMPORTED_LABEL,
  IMPORTED_SERVER_ANNOTATION,
  missingPermissionsMessage,
  OCM_CLUSTER_NAME_LABEL,
  ownerOf,
  renderImportedKubeconfig,
  renderImportedManagedCluster,
} from './render/import';

/** Why a register or deregister was refused; `reason` tells scripts and tests the cases apart. */
export class ImportError extends Error {
  constructor(
    readonly reason:
      'InvalidKubeconfig' | 'Unreachable' | 'Unauthorized' | 'Forbidden' | 'NameTaken' | 'HubNotInstalled' | 'NotRegistered' | 'NotOurs',
    message: string,
  ) {
    super(message);
  }
}

const MC_REF = (name: string) => ({ apiVersion: 'cluster.open-cluster-management.io/v1', kind: 'ManagedCluster', metadata: { name } });
const agentRef = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: AGENT_NAMESPACE } });
const secretRef = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: AGENT_NAMESPACE } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A read the API server answers 429 for a moment ("storage is (re)initializing" just after CRDs change): again, with backoff. */
async function patiently<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (e) {
      if (attempt >= 6 || toKubeApiError(e).statusCode !== 429) throw e;
      await sleep(200 * 2 ** attempt);
    }
  }
}

/** The imported cluster's kubeconfig, reduced to one context with every file inlined (the agent runs elsewhere). */
export interface ImportKubeconfig {
  yaml: string;
  server: string;
  kc: KubeConfig;
}

/**
 * Reads FILE (its current context, or `context`) and inlines certificate, key and token files. An exec plugin or
 * auth provider (EKS, GKE, OIDC) is kept as it is: this credential is used only here, by kokpit, to set up the agent's
 * own identity (./imported-identity.ts); the hosted agent never gets it.
 */
export function readImportKubeconfig(file: string, context?: string): ImportKubeconfig {
  let src: KubeConfig;
  try {
    src = loadKubeConfig({ kubeconfigPath: file, context });
  } catch (e) {
    throw new ImportError('InvalidKubeconfig', `cannot read the kubeconfig ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const cluster = src.getCurrentCluster()!;
  const user = src.getCurrentUser();
  const inline = (data: string | undefined, path: string | undefined) =>
    data ?? (path ? fs.readFileSync(path).toString('base64') : undefined);
  const provider = user?.authProvider as { name?: string; config?: { tokenFile?: string } } | undefined;
  const tokenFile = provider?.name === 'tokenFile' ? provider.config?.tokenFile : undefined;
  // Run by this process when it dials the cluster, as kubectl would run them.
  const plugin = user?.exec ? { exec: user.exec } : provider && !tokenFile ? { authProvider: user!.authProvider } : {};
  try {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster, name: 'imported', caData: inline(cluster.caData, cluster.caFile), caFile: undefined }],
      users: [
        {
          name: 'imported',
          certData: inline(user?.certData, user?.certFile),
          keyData: inline(user?.keyData, user?.keyFile),
          token: user?.token ?? (tokenFile ? fs.readFileSync(tokenFile, 'utf8').trim() : undefined),
          username: user?.username,
          password: user?.password,
          impersonateUser: user?.impersonateUser,
          ...plugin,
        },
      ],
      contexts: [{ name: 'imported', cluster: 'imported', user: 'imported' }],
      currentContext: 'imported',
    });
    return { yaml: kc.exportConfig(), server: cluster.server, kc };
  } catch (e) {
    throw new ImportError(
      'InvalidKubeconfig',
      `cannot read a file the kubeconfig ${file} names: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

export interface RegisterRequest {
  name: string;
  labels: Record<string, string>;
  kubeconfig: ImportKubeconfig;
  /** CRD files the agent needs in the cluster (config/ocm/managed). */
  managedCRDs: string[];
  /** OCM's agent RBAC files (config/ocm/managed-rbac), bound to the agent's own ServiceAccount there. */
  managedRBAC: string[];
  /** How long to wait for that RBAC to take effect (default 60 s). */
  rbacTimeoutMs?: number;
  leaseDurationSeconds?: number;
  /** How long to wait for the imported cluster to answer. */
  reachTimeoutMs?: number;
}

/** The hub must be there: ManagedClusters served and the agents' namespace with the meta kubeconfig installHub writes. */
export async function assertHubInstalled(meta: KubeConfig): Promise<void> {
  const missing = await unservedResources(meta, [
    { group: 'cluster.open-cluster-management.io', version: 'v1', plural: 'managedclusters' },
  ]);
  const cm = missing.length
    ? undefined
    : await new Applier(makeObjectApi(meta)).read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: META_KUBECONFIG_CONFIGMAP, namespace: AGENT_NAMESPACE },
      });
  if (missing.length || !cm)
    throw new ImportError(
      'HubNotInstalled',
      'the OCM hub is not installed in the meta cluster ' +
        `(${missing.length ? 'no ManagedCluster kind' : `no ${AGENT_NAMESPACE}/${META_KUBECONFIG_CONFIGMAP}`}): ` +
        `${OCM_INSTALL_HINT}`,
    );
}

/** NAME is free, or already this import of the same server (then registering again converges). */
export async function assertNameFree(meta: KubeConfig, name: string, server: string): Promise<void> {
  const problem = clusterNameProblem(name);
  if (problem) throw new ImportError('NameTaken', problem);
  const applier = new Applier(makeObjectApi(meta));
  const live = await patiently(() => applier.read<ManagedClusterObject>(MC_REF(name)));
  if (live) {
    const owner = ownerOf(live);
    if (owner.kind !== 'import' || owner.server !== server)
      throw new ImportError(
        'NameTaken',
        `ManagedCluster ${name} is already registered, by ${describeOwner(owner)}; choose another name` +
          (owner.kind === 'import' ? ` or deregister it first (kokpit deregister ${name})` : ''),
      );
    return;
  }
  const clusters = await patiently(() =>
    listObjects<BusinessCluster & KubernetesObject>(makeObjectApi(meta), 'kokpit.dev/v1alpha1', 'BusinessCluster'),
  ).catch((e: unknown) => {
    if (isNotFound(e)) return []; // kokpit's CRDs are not installed: no BusinessCluster can claim the name
    throw e;
  });
  const bc = clusters.find((c) => managedClusterName(c.metadata.namespace ?? 'default', c.metadata.name) === name);
  if (bc)
    throw new ImportError(
      'NameTaken',
      `${name} is the ManagedCluster name of BusinessCluster ${bc.metadata.namespace}/${bc.metadata.name}; choose another name`,
    );
  // OCM uses the namespace NAME as the cluster's hub namespace (and deregister deletes it): never someone else's.
  const ns = await applier.read<V1Namespace & KubernetesObject>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (ns && ns.metadata?.labels?.[OCM_CLUSTER_NAME_LABEL] !== name)
    throw new ImportError(
      'NameTaken',
      `the meta cluster already has a namespace ${name} that is not OCM's for this cluster; choose another name`,
    );
}

/** The imported cluster answers, accepts the credentials, and lets its user do what the agent needs. */
export async function assertUsable(k: ImportKubeconfig, timeoutMs = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      k.kc.makeApiClient(VersionApi).getCode(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs))),
    ]);
  } catch (e) {
    const err = toKubeApiError(e);
    if (err.statusCode === 401)
      throw new ImportError('Unauthorized', `the cluster at ${k.server} refuses the kubeconfig's credentials (HTTP 401): ${err.message}`);
    throw new ImportError(
      'Unreachable',
      `cannot reach the cluster at ${k.server}: ${err.message}; check that it runs and that the kubeconfig's server address is right`,
    );
  } finally {
    clearTimeout(timer);
  }
  const authz = k.kc.makeApiClient(AuthorizationV1Api);
  const answers = await Promise.all(
    AGENT_PERMISSIONS.map(async (p) => {
      const review = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { ...p } } } });
      return review.status?.allowed ? undefined : p;
    }),
  );
  const missing = answers.filter((p) => p !== undefined);
  if (!missing.length) return;
  const user = await k.kc
    .makeApiClient(AuthenticationV1Api)
    .createSelfSubjectReview({ body: {} })
    .then((r) => r.status?.userInfo?.username)
    .catch(() => undefined); // an older server without SelfSubjectReview: the message names no user
  throw new ImportError('Forbidden', missingPermissionsMessage(user, k.server, missing));
}

/** OCM's agent CRDs in the imported cluster; each only when missing or different (a re-run sends nothing). */
async function ensureManagedCRDs(k: ImportKubeconfig, files: string[]): Promise<void> {
  for (const crd of crdObjects(files)) await ensureCRD(k.kc, crd as V1CustomResourceDefinition);
}

/** Every check, then the writes. Returns the ManagedCluster as applied. Nothing is written when a check fails. */
export async function registerCluster(meta: KubeConfig, r: RegisterRequest): Promise<ManagedClusterObject> {
  await assertHubInstalled(meta);
  await assertNameFree(meta, r.name, r.kubeconfig.server);
  await assertUsable(r.kubeconfig, r.reachTimeoutMs);
  const lease = r.leaseDurationSeconds ?? (Value.Default(MulticlusterSpec, {}) as { leaseDurationSeconds: number }).leaseDurationSeconds;
  const applier = new Applier(makeObjectApi(meta));
  try {
    await ensureManagedCRDs(r.kubeconfig, r.managedCRDs);
  } catch (e) {
    throw new ImportError('Forbidden', `installing OCM's agent CRDs in the cluster at ${r.kubeconfig.server}: ${describeKubeError(e)}`);
  }
  let agentKubeconfig: string;
  try {
    await ensureImportedIdentity(r.kubeconfig.kc, r.name, r.managedRBAC, r.rbacTimeoutMs);
    agentKubeconfig = await importedAgentKubeconfig(applier, r.kubeconfig.kc, r.name);
  } catch (e) {
    const why = e instanceof IdentityError ? e.message : describeKubeError(e);
    throw new ImportError('Forbidden', `setting up the OCM agent's own identity in the cluster at ${r.kubeconfig.server}: ${why}`);
  }
  // The credentials first: they carry the import label, so an interrupted run is still ours to finish or deregister.
  await applier.ensure(renderImportedKubeconfig(r.name, agentKubeconfig, r.kubeconfig.server) as KubernetesObject);
  const mc = await applier.ensure(renderImportedManagedCluster(r.name, r.labels, r.kubeconfig.server, lease));
  await applier.ensure(renderAgent(r.name, contentHash(agentKubeconfig), lease) as KubernetesObject);
  return mc;
}

/**
 * Whether `kokpit register` holds NAME: its ManagedCluster, or (once that is gone) its kubeconfig Secret, carries the
 * import label. The multicluster operator asks before it writes or deletes a BusinessCluster's registration of NAME.
 */
export async function heldByImport(applier: Applier, name: string): Promise<boolean> {
  const mc = await applier.read<ManagedClusterObject>(MC_REF(name)).catch(() => undefined); // not served: no hub, no ManagedCluster
  if (mc) return ownerOf(mc).kind === 'import';
  const secret = await applier.read<V1Secret & KubernetesObject>(secretRef(agentNames(name).managedKubeconfigSecret));
  return secret?.metadata?.labels?.[IMPORTED_LABEL] === name;
}

export type JoinState = { done: true } | { done: false; progress: string };

/** Where a ManagedCluster stands: Joined and Available, or what it waits for. */
export function joinState(mc: ManagedClusterObject | undefined): JoinState {
  const cond = (t: string) => mc?.status?.conditions?.find((c) => c.type === t);
  const joined = cond('ManagedClusterJoined');
  const available = cond('ManagedClusterConditionAvailable');
  if (joined?.status === 'True' && available?.status === 'True') return { done: true };
  if (joined?.status !== 'True')
    return { done: false, progress: `waiting for the hosted agent to join${joined?.message ? ` (${joined.message})` : ''}` };
  return {
    done: false,
    progress: `Joined, Available=${available?.status ?? 'Unknown'}${available?.message ? `: ${available.message}` : ''}`,
  };
}

/** Waits until the ManagedCluster is Joined and Available; progress lines as they change. */
export async function waitJoined(meta: KubeConfig, name: string, timeoutMs: number, progress: (line: string) => void): Promise<void> {
  const applier = new Applier(makeObjectApi(meta));
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const s = joinState(await applier.read<ManagedClusterObject>(MC_REF(name)));
    if (s.done) return;
    if (s.progress !== last) progress((last = s.progress));
    if (Date.now() > deadline)
      throw new Error(
        `ManagedCluster ${name} is registered but not Joined and Available after ${Math.round(timeoutMs / 1000)} s (${last}); ` +
          `its agent is Deployment ${AGENT_NAMESPACE}/${agentNames(name).deployment} in the meta cluster`,
      );
    await sleep(1000);
  }
}

export interface DeregisterOptions {
  timeoutMs: number;
  progress?: (line: string) => void;
  /** The cluster is gone for good: its works' finalizers are removed, what they applied there stays. */
  force?: boolean;
}

/** Whether NAME is a registration `kokpit register` made: refuses others' with the owner named; false when none is left. */
async function importedState(applier: Applier, name: string): Promise<{ mc?: ManagedClusterObject; ours: boolean }> {
  let mc: ManagedClusterObject | undefined;
  try {
    mc = await patiently(() => applier.read<ManagedClusterObject>(MC_REF(name)));
  } catch (e) {
    if (!/HTTP 404/.test(describeKubeError(e))) throw e; // the kind is not served: no hub, no ManagedCluster
  }
  if (mc) {
    const owner = ownerOf(mc);
    if (owner.kind === 'business-cluster')
      throw new ImportError(
        'NotOurs',
        `ManagedCluster ${name} belongs to ${describeOwner(owner)}: ` +
          `delete that (kubectl delete businesscluster ${owner.name} -n ${owner.namespace}) ` +
          'or set its spec.multicluster.register: false',
      );
    if (owner.kind === 'other')
      throw new ImportError('NotOurs', `ManagedCluster ${name} was registered by ${describeOwner(owner)}; kokpit leaves it alone`);
  }
  const secret = await applier.read<V1Secret & KubernetesObject>(secretRef(agentNames(name).managedKubeconfigSecret));
  return { mc, ours: !!mc || secret?.metadata?.labels?.[IMPORTED_LABEL] === name };
}

/** Polls until `gone` is true or the deadline passes; `what` names what is still there. */
async function waitGone(
  deadline: number,
  what: string,
  gone: () => Promise<boolean>,
  progress?: (l: string) => void,
  why = async () => 'run kokpit deregister again to finish',
): Promise<void> {
  progress?.(`waiting for ${what} to go`);
  while (!(await gone())) {
    if (Date.now() > deadline) throw new Error(`${what} is still there; ${await why()}`);
    await sleep(1000);
  }
}

const WORK_API = { group: 'work.open-cluster-management.io', version: 'v1', plural: 'manifestworks' };

/** The works left in the cluster's hub namespace (OCM's hub deletes them; their finalizers wait for the agent). */
export async function worksLeft(meta: KubeConfig, name: string): Promise<KubernetesObject[]> {
  const list = (await meta.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ ...WORK_API, namespace: name })) as {
    items: KubernetesObject[];
  };
  return list.items;
}

/**
 * --force: delete each work, then drop its finalizers (deleted first, so the agent does not put them back).
 * `deletingOnly` (the multicluster operator's detach, whose ManagedCluster is being deleted: OCM's hub deletes the
 * cluster's works itself): only works already being deleted are released, so the operator needs no `delete`.
 */
export async function orphanWorks(meta: KubeConfig, name: string, o: { deletingOnly?: boolean } = {}): Promise<void> {
  const objects = makeObjectApi(meta);
  for (const w of await worksLeft(meta, name)) {
    const ref = {
      apiVersion: 'work.open-cluster-management.io/v1',
      kind: 'ManifestWork',
      metadata: { name: w.metadata!.name!, namespace: name },
    };
    if (!w.metadata?.deletionTimestamp) {
      if (o.deletingOnly) continue; // the hub's deletion comes: released on a later pass
      await new Applier(objects).delete(ref);
    }
    if (w.metadata?.finalizers?.length)
      await objects.patch(
        { ...ref, metadata: { ...ref.metadata, finalizers: null } } as never,
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.MergePatch,
      );
  }
}

/** Why a ManagedCluster is still there: works its agent has not cleaned up, and the way out when the cluster is gone. */
async function whyStillThere(meta: KubeConfig, name: string): Promise<string> {
  const works = await worksLeft(meta, name).catch(() => []);
  if (!works.length) return 'run kokpit deregister again to finish';
  return (
    `${works.length} ManifestWork(s) in namespace ${name} wait for the cluster's agent to remove what they applied there; ` +
    `if the cluster is gone for good, kokpit deregister ${name} --force leaves that in place and finishes`
  );
}

/** The agent's identity in the imported cluster, once the agent is gone; with --force, a cluster that refuses is left as it is. */
async function removeIdentity(meta: KubeConfig, name: string, o: DeregisterOptions): Promise<void> {
  try {
    if (await removeImportedIdentity(meta, name)) o.progress?.("removed the agent's identity from the imported cluster");
  } catch (e) {
    if (!(e instanceof IdentityError)) throw e;
    if (!o.force) throw new ImportError('Unreachable', `${e.message}; or leave it: kokpit deregister ${name} --force`);
    o.progress?.(`warning: ${e.message}`);
  }
}

/** Removes an import: ManagedCluster (while its agent cleans up works), agent and its pods, its identity, hub namespace, Secrets. */
export async function deregisterCluster(meta: KubeConfig, name: string, o: DeregisterOptions): Promise<void> {
  const applier = new Applier(makeObjectApi(meta));
  const { mc, ours } = await importedState(applier, name);
  if (!ours)
    throw new ImportError('NotRegistered', `${name} is not registered by kokpit register (no ManagedCluster, no kubeconfig Secret)`);
  const deadline = Date.now() + o.timeoutMs;
  const n = agentNames(name);
  if (mc) {
    if (!mc.metadata?.deletionTimestamp) await applier.delete(MC_REF(name));
    const gone = async () => {
      if (o.force) await orphanWorks(meta, name);
      return !(await applier.read(MC_REF(name)));
    };
    await waitGone(deadline, `ManagedCluster ${name}`, gone, o.progress, () => whyStillThere(meta, name));
  }
  await applier.delete(agentRef(n.deployment));
  const core = meta.makeApiClient(CoreV1Api);
  const selector = `open-cluster-management.io/cluster-name=${name}`;
  await waitGone(
    deadline,
    `the agent's pods`,
    async () => (await core.listNamespacedPod({ namespace: AGENT_NAMESPACE, labelSelector: selector })).items.length === 0,
    o.progress,
  );
  await removeIdentity(meta, name, o);
  const ns = await applier.read<V1Namespace & KubernetesObject>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (ns?.metadata?.labels?.[OCM_CLUSTER_NAME_LABEL] === name) {
    await applier.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await waitGone(
      deadline,
      `namespace ${name}`,
      async () => !(await applier.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
      o.progress,
    );
  }
  // The import's own Secret last: while it is there, a deregister that stopped early can be run again.
  for (const s of [n.hubKubeconfigSecret, n.bootstrapSecret, n.managedKubeconfigSecret]) await applier.delete(secretRef(s));
}

export { IMPORTED_LABEL, IMPORTED_SERVER_ANNOTATION };
