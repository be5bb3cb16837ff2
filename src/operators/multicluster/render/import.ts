// An imported cluster's side of OCM (`kokpit register`), as pure objects and checks: a cluster kokpit did not
// create gets the same hosted agent as a BusinessCluster (render/agent.ts), a ManagedCluster marked as imported
// (so `kokpit deregister` touches only those), and its kubeconfig in the agent's Secret. The checks here decide,
// from what the caller read, whether a name is free and what the kubeconfig's user may not do.
import type { V1Secret } from '@kubernetes/client-node';
import { LABELS } from '../names';
import { managedClusterObject, renderManagedKubeconfig, type ManagedClusterObject } from './agent';

/** On the ManagedCluster and the kubeconfig Secret of an imported cluster: its name. */
export const IMPORTED_LABEL = 'kokpit.dev/imported';
/** The API server the imported kubeconfig points at: a second `register` of the name for another server is refused. */
export const IMPORTED_SERVER_ANNOTATION = 'kokpit.dev/imported-server';
/** OCM's label on the hub namespace it creates for a ManagedCluster. */
export const OCM_CLUSTER_NAME_LABEL = 'open-cluster-management.io/cluster-name';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why NAME cannot be a ManagedCluster (and its hub namespace); undefined when it can. */
export function clusterNameProblem(name: string): string | undefined {
  if (name.length > 63) return `"${name}" is ${name.length} characters long; a cluster name has at most 63`;
  if (!DNS_LABEL.test(name))
    return `"${name}" is not a valid cluster name: lower-case letters, digits and '-', starting and ending with a letter or digit`;
  return undefined;
}

/** `--labels env=dev,tier=web` as a label map; kokpit's own keys are refused (they would fake a BusinessCluster). */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',').map((x) => x.trim())) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`--labels takes key=value[,key=value…], got "${part}"`);
    const [key, value] = [part.slice(0, eq), part.slice(eq + 1)];
    const slash = key.lastIndexOf('/');
    const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
    if (name.length > 63 || !LABEL_NAME.test(name) || (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))))
      throw new Error(`label key "${key}" is not valid: [prefix/]name, name up to 63 letters, digits, '-', '_' or '.'`);
    if (value.length > 63 || (value !== '' && !LABEL_NAME.test(value)))
      throw new Error(`label value "${value}" (of ${key}) is not valid: up to 63 letters, digits, '-', '_' or '.'`);
    if (prefix === 'kokpit.dev' || key === LABELS.managedBy) throw new Error(`label ${key} is kokpit's own; choose another key`);
    if (key in out && out[key] !== value) throw new Error(`label ${key} is given twice ("${out[key]}" and "${value}")`);
    out[key] = value;
  }
  return out;
}

/** The ManagedCluster of an imported cluster: the user's labels, the import marker, the server it points at. */
export function renderImportedManagedCluster(
  name: string,
  labels: Record<string, string>,
  server: string,
  leaseDurationSeconds: number,
): ManagedClusterObject {
  return managedClusterObject(name, { ...labels, [IMPORTED_LABEL]: name }, leaseDurationSeconds, { [IMPORTED_SERVER_ANNOTATION]: server });
}

/** The Secret the hosted agent reads the imported cluster's kubeconfig from, marked as an import's. */
export function renderImportedKubeconfig(name: string, kubeconfig: string, server: string): V1Secret {
  const s = renderManagedKubeconfig(name, kubeconfig);
  return {
    ...s,
    metadata: {
      ...s.metadata,
      labels: { ...s.metadata!.labels, [IMPORTED_LABEL]: name },
      annotations: { [IMPORTED_SERVER_ANNOTATION]: server },
    },
  };
}

export type Owner =
  | { kind: 'import'; server: string }
  | { kind: 'business-cluster'; namespace: string; name: string }
  | { kind: 'other'; managedBy?: string };

/** Who made a ManagedCluster: `kokpit register`, the multicluster operator for a BusinessCluster, or someone else. */
export function ownerOf(mc: ManagedClusterObject): Owner {
  const labels = mc.metadata?.labels ?? {};
  const kokpit = labels[LABELS.managedBy] === 'kokpit';
  // A BusinessCluster's labels are copied onto its ManagedCluster; an import's never carry kokpit.dev/ keys.
  if (kokpit && labels[LABELS.namespace] && labels[LABELS.cluster])
    return { kind: 'business-cluster', namespace: labels[LABELS.namespace], name: labels[LABELS.cluster] };
  if (kokpit && labels[IMPORTED_LABEL] === mc.metadata?.name)
    return { kind: 'import', server: mc.metadata?.annotations?.[IMPORTED_SERVER_ANNOTATION] ?? '(unknown server)' };
  return { kind: 'other', managedBy: labels[LABELS.managedBy] };
}

export function describeOwner(o: Owner): string {
  if (o.kind === 'import') return `\`kokpit register\` for the cluster at ${o.server}`;
  if (o.kind === 'business-cluster') return `BusinessCluster ${o.namespace}/${o.name}`;
  return o.managedBy ? `${o.managedBy}, not kokpit` : 'someone else (not kokpit)';
}

export interface Permission {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
}

const perms = (group: string, resource: string, verbs: string[], subresource?: string): Permission[] =>
  verbs.map((verb) => ({ verb, group, resource, ...(subresource ? { subresource } : {}) }));
const WORK = 'work.open-cluster-management.io';
const RW = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * What `kokpit register` checks the imported cluster's kubeconfig for. It installs OCM's agent CRDs with it and sets up
 * the agent's own ServiceAccount, bound to OCM's agent roles (render/imported-identity.ts), which Kubernetes allows only
 * to a user who holds those permissions itself. What the agent's roles allow: the
 * registration agent reads nodes, ClusterClaims and ClusterProperties, the work agent keeps AppliedManifestWorks,
 * checks executors and applies the works' manifests (OCM binds its work agent to `admin` and more: namespaces, RBAC,
 * CRDs). OCM's own ClusterRoles (manifests/klusterlet/managed in the module) are the source; the workload rows are
 * samples of `admin`, enough to tell a read-only or namespaced user from one the agent can work with.
 */
export const AGENT_PERMISSIONS: readonly Permission[] = [
  ...perms('apiextensions.k8s.io', 'customresourcedefinitions', ['get', 'create', 'update', 'patch']),
  ...perms('', 'nodes', ['get', 'list', 'watch']),
  ...perms('cluster.open-cluster-management.io', 'clusterclaims', ['get', 'list', 'watch']),
  ...perms('about.k8s.io', 'clusterproperties', ['get', 'list', 'watch']),
  ...perms(WORK, 'appliedmanifestworks', RW),
  ...perms(WORK, 'appliedmanifestworks', ['update', 'patch'], 'status'),
  ...perms(WORK, 'appliedmanifestworks', ['update'], 'finalizers'),
  ...perms('authorization.k8s.io', 'subjectaccessreviews', ['create']),
  ...perms('', 'serviceaccounts', ['impersonate']),
  ...perms('', 'namespaces', ['create', 'update', 'patch', 'delete']),
  ...perms('', 'configmaps', RW),
  ...perms('apps', 'deployments', RW),
  ...perms('rbac.authorization.k8s.io', 'clusterroles', ['create', 'bind', 'escalate']),
  // Setting up the agent's identity.
  ...perms('', 'serviceaccounts', ['create']),
  ...perms('', 'serviceaccounts', ['create'], 'token'),
  ...perms('rbac.authorization.k8s.io', 'clusterrolebindings', ['create']),
  ...perms('rbac.authorization.k8s.io', 'roles', ['create']),
  ...perms('rbac.authorization.k8s.io', 'rolebindings', ['create']),
];

export function describePermission(p: Permission): string {
  const res = `${p.resource}${p.subresource ? `/${p.subresource}` : ''}${p.group ? `.${p.group}` : ''}`;
  return `${p.verb} ${res}`;
}

/** The refusal for missing permissions: who, what (grouped by resource), and the fix. */
export function missingPermissionsMessage(user: string | undefined, server: string, missing: readonly Permission[]): string {
  const byResource = new Map<string, string[]>();
  for (const p of missing) {
    const res = describePermission(p).split(' ')[1];
    byResource.set(res, [...(byResource.get(res) ?? []), p.verb]);
  }
  const list = [...byResource].map(([res, verbs]) => `${verbs.join(',')} ${res}`).join('; ');
  const who = user ? `user "${user}"` : "the kubeconfig's user";
  return (
    `${who} lacks permissions at ${server} that giving the hosted OCM agent its own identity needs (cluster-wide): ${list}. ` +
    `Use a kubeconfig of a cluster admin, or bind the user to cluster-admin there ` +
    `(kubectl create clusterrolebinding kokpit-register --clusterrole=cluster-admin --user=${user ?? 'USER'})`
  );
}
