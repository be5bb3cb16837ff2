// The hosted agent's own identity in an imported cluster (render/imported-identity.ts says what and why): set up with
// the user's kubeconfig while `kokpit register` runs, then kept with the agent's own token only — renewed with itself
// before it expires (`kokpit register` again, or the multicluster operator's `imported-credentials` controller), and
// removed by `kokpit deregister` by deleting its anchor. Tokens go from the API server into the agent's Secret only:
// nothing here logs one or puts one in a message.
import { AuthenticationV1Api, CoreV1Api, KubeConfig, VersionApi, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import { kokpitUserAgent, makeObjectApi, toKubeApiError, withUserAgent } from '../../kube';
import { Applier, contentHash } from '../../kit';
import { agentRBACInEffect } from './credential';
import { AGENT_NAMESPACE, agentNames } from './names';
import { renderAgent, type ManagedClusterObject } from './render/agent';
import { renderImportedKubeconfig } from './render/import';
import {
  IMPORTED_AGENT_GROUPS,
  IMPORTED_AGENT_NAMESPACE,
  IMPORTED_TOKEN_SECONDS,
  importedAgentServiceAccount,
  importedAgentUser,
  importedAnchorName,
  renderImportedAnchor,
  renderImportedIdentity,
  renderImportedNamespace,
  tokenRenewalReason,
} from './render/imported-identity';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why the identity could not be set up or used; the caller turns it into its own refusal. */
export class IdentityError extends Error {}

/**
 * The namespace (when missing), the anchor, then the ServiceAccount and OCM's agent RBAC owned by it, through `user`
 * (the kubeconfig given to `kokpit register`); then waits until a SubjectAccessReview says the RBAC is in effect, as
 * the reconciler does before a BusinessCluster's agent starts. Compare-before-write: a second run writes nothing.
 * If the RBAC never takes effect, the anchor is deleted again (the garbage collector takes the rest) and this throws.
 */
export async function ensureImportedIdentity(user: KubeConfig, name: string, managedRBAC: string[], gateTimeoutMs = 60_000): Promise<void> {
  const applier = new Applier(makeObjectApi(user));
  const ns = renderImportedNamespace();
  if (!(await applier.read(ns))) await applier.ensure(ns);
  const anchor = await applier.ensure(renderImportedAnchor(name));
  for (const o of renderImportedIdentity(managedRBAC, name, anchor.metadata!.uid!)) await applier.ensure(o);
  const deadline = Date.now() + gateTimeoutMs;
  while (!(await agentRBACInEffect(user, importedAgentUser(name), IMPORTED_AGENT_GROUPS))) {
    if (Date.now() > deadline) {
      await applier.delete(renderImportedAnchor(name));
      throw new IdentityError(
        `the OCM agent's RBAC did not take effect within ${gateTimeoutMs / 1000} s: ${importedAgentUser(name)} may not get ` +
          "configmaps (OCM binds its work agent to the built-in admin role, whose rules the cluster's controller-manager " +
          'aggregates: is it running?)',
      );
    }
    await sleep(1000);
  }
}

/** A new token of the agent's ServiceAccount, requested through `kc` (the user's, or the agent's own). */
async function requestToken(kc: KubeConfig, name: string): Promise<string> {
  const tr = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name: importedAgentServiceAccount(name),
    namespace: IMPORTED_AGENT_NAMESPACE,
    body: { spec: { expirationSeconds: IMPORTED_TOKEN_SECONDS } },
  });
  if (!tr.status?.token) throw new IdentityError(`the TokenRequest for ${importedAgentUser(name)} returned no token`);
  return tr.status.token;
}

/** The agent's kubeconfig: the cluster as `user` reaches it (server, CA, TLS name), the agent's token as the user. */
function agentKubeconfig(user: KubeConfig, token: string): string {
  const c = user.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'imported', server: c.server, caData: c.caData, skipTLSVerify: c.skipTLSVerify, tlsServerName: c.tlsServerName }],
    users: [{ name: 'ocm-agent', token }],
    contexts: [{ name: 'ocm-agent', cluster: 'imported', user: 'ocm-agent' }],
    currentContext: 'ocm-agent',
  });
  return kc.exportConfig();
}

/** kokpit's own requests with the agent's token carry this User-Agent (the cluster's audit log tells them from the agent's). */
export const IDENTITY_USER_AGENT = kokpitUserAgent('ocm-agent-identity');

const tokenOf = (kubeconfig: string) => {
  const loaded = new KubeConfig();
  loaded.loadFromString(kubeconfig);
  return { kc: withUserAgent(loaded, IDENTITY_USER_AGENT), token: loaded.getCurrentUser()?.token };
};

/** Whether `kubeconfig` still authenticates as the agent's ServiceAccount (a re-created one voids older tokens). */
async function stillValid(kubeconfig: string, name: string): Promise<boolean> {
  const { kc } = tokenOf(kubeconfig);
  try {
    const r = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    return r.status?.userInfo?.username === importedAgentUser(name);
  } catch (e) {
    const code = toKubeApiError(e).statusCode;
    if (code === 401) return false;
    if (code !== 404) throw e;
  }
  // A server without SelfSubjectReview (before 1.28): a token it does not accept is refused even for /version.
  return kc
    .makeApiClient(VersionApi)
    .getCode()
    .then(() => true)
    .catch((e: unknown) => (toKubeApiError(e).statusCode === 401 ? false : Promise.reject(e)));
}

const secretRef = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: agentNames(name).managedKubeconfigSecret, namespace: AGENT_NAMESPACE },
});

/** The agent's kubeconfig as stored in the meta cluster, or undefined. */
export async function storedAgentKubeconfig(meta: Applier, name: string): Promise<string | undefined> {
  const s = await meta.read<V1Secret & KubernetesObject>(secretRef(name));
  const v = s?.data?.kubeconfig;
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

/**
 * The agent's kubeconfig for `kokpit register`: the stored one while its token is valid, not due for renewal and for
 * the same server; else a new token requested through the user's kubeconfig.
 */
export async function importedAgentKubeconfig(meta: Applier, user: KubeConfig, name: string, now = new Date()): Promise<string> {
  const stored = await storedAgentKubeconfig(meta, name);
  if (stored) {
    const { kc, token } = tokenOf(stored);
    const same = kc.getCurrentCluster()?.server === user.getCurrentCluster()?.server;
    if (same && !tokenRenewalReason(token, now) && (await stillValid(stored, name))) return stored;
  }
  return agentKubeconfig(user, await requestToken(user, name));
}

/**
 * Renews an import's token with itself when a third of its life is left (or `now` says so): the new kubeconfig goes
 * into the agent's Secret and rolls its Deployment. Returns why it renewed, or undefined when nothing was due.
 */
export async function renewImportedCredential(meta: KubeConfig, name: string, now = new Date()): Promise<string | undefined> {
  const applier = new Applier(makeObjectApi(meta));
  const stored = await storedAgentKubeconfig(applier, name);
  if (!stored) return undefined;
  const { kc, token } = tokenOf(stored);
  if (!token) return undefined; // an import from before kokpit issued the agent's identity: `kokpit register` again moves it over
  const reason = tokenRenewalReason(token, now);
  if (!reason) return undefined;
  const kubeconfig = agentKubeconfig(kc, await requestToken(kc, name));
  const server = kc.getCurrentCluster()!.server;
  await applier.ensure(renderImportedKubeconfig(name, kubeconfig, server) as KubernetesObject);
  const mc = await applier.read<ManagedClusterObject>({
    apiVersion: 'cluster.open-cluster-management.io/v1',
    kind: 'ManagedCluster',
    metadata: { name },
  });
  await applier.ensure(renderAgent(name, contentHash(kubeconfig), mc?.spec.leaseDurationSeconds) as KubernetesObject);
  return reason;
}

/**
 * Deletes the identity's anchor with the agent's own token (OCM's `-work:execution` role lets it delete ClusterRoles);
 * the imported cluster's garbage collector then removes the ServiceAccount, voiding every token, and the RBAC.
 * Returns false when there is no stored kubeconfig (nothing was set up); throws IdentityError, naming the command
 * that finishes the job, when the cluster cannot be reached or refuses.
 */
export async function removeImportedIdentity(meta: KubeConfig, name: string): Promise<boolean> {
  const stored = await storedAgentKubeconfig(new Applier(makeObjectApi(meta)), name);
  if (!stored) return false;
  const { kc } = tokenOf(stored);
  try {
    await new Applier(makeObjectApi(kc)).delete(renderImportedAnchor(name));
  } catch (e) {
    throw new IdentityError(
      `cannot remove the OCM agent's identity from the cluster at ${kc.getCurrentCluster()?.server} ` +
        `(${toKubeApiError(e).message}); there, as an admin: kubectl delete clusterrole ${importedAnchorName(name)} ` +
        '(its ServiceAccount and RBAC go with it)',
    );
  }
  return true;
}
