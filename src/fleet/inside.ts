// Inside a business cluster, as the Fleet view shows it: the lists (Nodes, Namespaces → Pods, Deployments,
// Services, Events), one paged list state per expanded list, and how each object looks (pod status from its
// container states). Pure: the list/watch machinery (inside-watch.ts) and the VS Code adapter feed it.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster } from '../api';
import { LABEL_CLUSTER as ETCD_CLUSTER_LABEL } from '../operators/etcd/names';
import { names } from '../operators/cluster/names';
import type { FleetStatus } from './model';

export type InsideListKind = 'nodes' | 'namespaces' | 'pods' | 'deployments' | 'services' | 'events';

/** The lists of one namespace, in the order the tree shows them. */
export const NAMESPACED_LISTS = ['pods', 'deployments', 'services', 'events'] as const;

const LIST: Record<InsideListKind, { label: string; group: string; resource: string; namespaced: boolean }> = {
  nodes: { label: 'Nodes', group: '/api/v1', resource: 'nodes', namespaced: false },
  namespaces: { label: 'Namespaces', group: '/api/v1', resource: 'namespaces', namespaced: false },
  pods: { label: 'Pods', group: '/api/v1', resource: 'pods', namespaced: true },
  deployments: { label: 'Deployments', group: '/apis/apps/v1', resource: 'deployments', namespaced: true },
  services: { label: 'Services', group: '/api/v1', resource: 'services', namespaced: true },
  events: { label: 'Events', group: '/api/v1', resource: 'events', namespaced: true },
};

export interface InsideList {
  kind: InsideListKind;
  namespace?: string;
}

export function listLabel(list: InsideList): string {
  return LIST[list.kind].label;
}

/** The collection's path on the apiserver (list and watch). */
export function listPath(list: InsideList): string {
  const spec = LIST[list.kind];
  if (spec.namespaced && !list.namespace) throw new Error(`${list.kind} are listed per namespace`);
  return spec.namespaced ? `${spec.group}/namespaces/${list.namespace}/${spec.resource}` : `${spec.group}/${spec.resource}`;
}

interface ContainerStatusLike {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { running?: object; waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number } };
}

/** The fields read here of any listed object (typed clients give Dates where watch events give strings). */
export type InsideObject = KubernetesObject & {
  spec?: {
    nodeName?: string;
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    replicas?: number;
    type?: string;
    clusterIP?: string;
    ports?: { port: number; protocol?: string }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: ContainerStatusLike[];
    conditions?: { type: string; status: string }[];
    nodeInfo?: { kubeletVersion?: string };
    readyReplicas?: number;
  };
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  lastTimestamp?: string | Date;
  eventTime?: string | Date;
};
type Obj = InsideObject;

/**
 * One list as far as it is loaded: the objects by name, the `continue` token of the next page (a "Load more…"
 * node while there is one), and why it is empty when it could not be read.
 */
export class ListState {
  private readonly items = new Map<string, Obj>();
  continueToken: string | undefined;
  error: string | undefined;
  loaded = false;

  /** A page of the list: its items join what is loaded; the token says whether there is more. */
  page(items: readonly Obj[], continueToken: string | undefined): void {
    for (const o of items) this.items.set(o.metadata?.name ?? '', o);
    this.continueToken = continueToken || undefined;
    this.error = undefined;
    this.loaded = true;
  }

  /** A watch event; returns whether the list changed. */
  apply(type: string, obj: Obj): boolean {
    const name = obj.metadata?.name ?? '';
    if (type === 'DELETED') return this.items.delete(name);
    if (type !== 'ADDED' && type !== 'MODIFIED') return false;
    this.items.set(name, obj);
    return true;
  }

  failed(message: string): void {
    this.items.clear();
    this.continueToken = undefined;
    this.error = message;
    this.loaded = true;
  }

  reset(): void {
    this.items.clear();
    this.continueToken = undefined;
    this.error = undefined;
    this.loaded = false;
  }

  get(name: string): Obj | undefined {
    return this.items.get(name);
  }

  get size(): number {
    return this.items.size;
  }

  /** Sorted by name; events newest first (what happened last matters most). */
  sorted(kind: InsideListKind): Obj[] {
    const all = [...this.items.values()];
    if (kind === 'events') return all.sort((a, b) => eventTime(b).localeCompare(eventTime(a)));
    return all.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  }
}

function eventTime(e: Obj): string {
  const t = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';
  return t instanceof Date ? t.toISOString() : String(t);
}

/** What a list shows when the apiserver refused it: a 403 right after creation is the bootstrap step not done yet. */
export function listErrorMessage(statusCode: number | undefined, message: string): string {
  if (statusCode === 403 || statusCode === 401) {
    return 'not yet authorized (the admin credential is bound to cluster-admin by the bootstrap step; refresh to retry)';
  }
  return message;
}

export interface PodStatus {
  /** What kubectl's STATUS column would say: Running, Pending, CrashLoopBackOff, Completed, Terminating, … */
  phrase: string;
  status: FleetStatus;
  ready: number;
  total: number;
  restarts: number;
}

const BAD_WAITING = /BackOff|Err|Invalid|Error/;

/** A pod's status the way kubectl sums it up: a waiting or terminated container's reason beats the phase. */
export function podStatus(pod: Obj): PodStatus {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = (pod.spec?.containers ?? []).length || statuses.length;
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  const base = { ready, total, restarts };
  if (pod.metadata?.deletionTimestamp) return { ...base, phrase: 'Terminating', status: 'progress' };
  const phase: string = pod.status?.phase ?? 'Pending';
  const waiting = statuses.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason;
  if (waiting) return { ...base, phrase: waiting, status: BAD_WAITING.test(waiting) ? 'error' : 'progress' };
  const terminated = statuses.find((s) => s.state?.terminated?.reason && s.state.terminated.exitCode !== 0)?.state?.terminated?.reason;
  if (terminated) return { ...base, phrase: terminated, status: 'error' };
  switch (phase) {
    case 'Succeeded':
      return { ...base, phrase: 'Completed', status: 'ok' };
    case 'Failed':
      return { ...base, phrase: pod.status?.reason ?? 'Failed', status: 'error' };
    case 'Running':
      return { ...base, phrase: 'Running', status: ready >= total ? 'ok' : 'warning' };
    case 'Pending':
      return { ...base, phrase: pod.spec?.nodeName ? 'ContainerCreating' : 'Pending', status: 'progress' };
    default:
      return { ...base, phrase: phase, status: 'unknown' };
  }
}

export interface ItemView {
  label: string;
  description: string;
  tooltip?: string;
  status: FleetStatus;
  /** Matched by menus: `kokpit.inside.pod` gets Show Logs. */
  contextValue: string;
  icon: string;
}

function conditionTrue(obj: Obj, type: string): boolean | undefined {
  const c = (obj.status?.conditions ?? []).find((x) => x.type === type);
  return c ? c.status === 'True' : undefined;
}

/** How one object of a list looks in the tree. */
export function itemView(kind: InsideListKind, obj: Obj): ItemView {
  const name = obj.metadata?.name ?? '';
  const context = `kokpit.inside.${kind.replace(/s$/, '')}`;
  switch (kind) {
    case 'pods': {
      const s = podStatus(obj);
      const restarts = s.restarts ? ` · ${s.restarts} restarts` : '';
      return {
        label: name,
        description: `${s.phrase} · ${s.ready}/${s.total}${restarts}`,
        tooltip: [s.phrase, obj.spec?.nodeName && `node ${obj.spec.nodeName}`, obj.status?.message].filter(Boolean).join('\n'),
        status: s.status,
        contextValue: context,
        icon: 'symbol-event',
      };
    }
    case 'nodes': {
      const ready = conditionTrue(obj, 'Ready');
      const version = obj.status?.nodeInfo?.kubeletVersion;
      return {
        label: name,
        description: [ready === undefined ? 'Unknown' : ready ? 'Ready' : 'NotReady', version].filter(Boolean).join(' · '),
        status: ready === undefined ? 'unknown' : ready ? 'ok' : 'error',
        contextValue: context,
        icon: 'vm',
      };
    }
    case 'namespaces':
      return {
        label: name,
        description: obj.status?.phase ?? '',
        status: obj.status?.phase === 'Terminating' ? 'progress' : 'ok',
        contextValue: context,
        icon: 'symbol-namespace',
      };
    case 'deployments': {
      const want = obj.spec?.replicas ?? 1;
      const ready = obj.status?.readyReplicas ?? 0;
      return {
        label: name,
        description: `${ready}/${want} ready`,
        status: ready >= want ? 'ok' : 'progress',
        contextValue: context,
        icon: 'layers',
      };
    }
    case 'services': {
      const ports = (obj.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',');
      return {
        label: name,
        description: [obj.spec?.type ?? 'ClusterIP', obj.spec?.clusterIP, ports].filter(Boolean).join(' · '),
        status: 'ok',
        contextValue: context,
        icon: 'plug',
      };
    }
    case 'events': {
      const what = obj.involvedObject ? `${obj.involvedObject.kind}/${obj.involvedObject.name}` : '';
      const count = (obj.count ?? 1) > 1 ? ` ×${obj.count}` : '';
      return {
        label: `${obj.reason ?? 'Event'} ${what}`.trim(),
        description: `${obj.message ?? ''}${count}`,
        tooltip: `${eventTime(obj)} ${obj.type ?? ''}: ${obj.message ?? ''}`,
        status: obj.type === 'Warning' ? 'warning' : 'ok',
        contextValue: context,
        icon: 'bell',
      };
    }
  }
}

/** The containers a Show Logs may pick from (init containers too: they are often why a pod hangs). */
export function podContainers(pod: Obj): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
}

/** Why a pod has no log to show yet, or undefined when the apiserver can ask its kubelet. */
export function noLogReason(pod: Obj): string | undefined {
  if (!pod.spec?.nodeName) return `pod ${pod.metadata?.namespace}/${pod.metadata?.name} is not scheduled to a node yet, so it has no log`;
  return undefined;
}

/** The Secret holding a business cluster's admin kubeconfig (key `value`), once the operator wrote it. */
export function adminKubeconfigSecret(bc: BusinessCluster): { namespace: string; name: string } | undefined {
  const name = bc.status?.kubeconfigSecretName;
  return name ? { namespace: bc.metadata.namespace ?? 'default', name } : undefined;
}

/** Control-plane components whose pods the cluster operator labels `kokpit.dev/component` (render/common.ts). */
export const CONTROL_PLANE_COMPONENTS = ['apiserver', 'controller-manager', 'scheduler'] as const;

/**
 * Where a business cluster's control-plane pods run in the meta cluster: its namespace, selected by the labels
 * the cluster operator puts on its Deployments' pods, and by the etcd operator's label on its etcd members
 * (the managed `<cluster>-etcd`, or the shared EtcdCluster it points at).
 */
export function controlPlanePodSelectors(bc: BusinessCluster): { namespace: string; labelSelectors: string[] } {
  const name = bc.metadata.name;
  const etcd = bc.spec.etcd?.managed ? names.etcd(name) : bc.spec.etcd?.clusterRef?.name;
  return {
    namespace: bc.metadata.namespace ?? 'default',
    labelSelectors: [
      `kokpit.dev/cluster=${name},kokpit.dev/component in (${CONTROL_PLANE_COMPONENTS.join(',')})`,
      ...(etcd ? [`${ETCD_CLUSTER_LABEL}=${etcd}`] : []),
    ],
  };
}

/** The quick pick's description of a control-plane pod: which component (or etcd member), and its status. */
export function controlPlanePodDescription(pod: Obj): string {
  const labels = pod.metadata?.labels ?? {};
  const what = labels['kokpit.dev/component'] ?? (labels[ETCD_CLUSTER_LABEL] ? `etcd ${labels[ETCD_CLUSTER_LABEL]}` : '');
  return [what, podStatus(pod).phrase].filter(Boolean).join(' · ');
}

export interface PodLogTarget {
  namespace: string;
  pod: string;
  container: string;
  /** The previous (crashed) instance of the container: its log is final, so it is not followed. */
  previous: boolean;
}

/** How much log a Show Logs starts with: the last lines, then follows (like `kubectl logs -f --tail`). */
export const LOG_TAIL_LINES = 1000;

/** The Log API's options for a target: follow the live container, read the previous one once. */
export function logOptions(t: PodLogTarget): { follow: boolean; previous: boolean; tailLines: number } {
  return { follow: !t.previous, previous: t.previous, tailLines: LOG_TAIL_LINES };
}

/** The virtual document's path: one document per cluster, pod, container and variant. */
export function logDocumentPath(cluster: string, t: PodLogTarget): string {
  return `/${cluster}/${t.namespace}/${t.pod}/${t.container}${t.previous ? '.previous' : ''}.log`;
}

/** The first line of a log document: what is shown, as the kubectl command that would show it. */
export function logHeader(cluster: string, t: PodLogTarget): string {
  const flags = [t.previous ? '--previous' : '-f', `--tail=${LOG_TAIL_LINES}`].join(' ');
  return `# kubectl logs ${flags} -n ${t.namespace} ${t.pod} -c ${t.container}   (${cluster})\n`;
}

/** Keeps a growing log bounded: past `max` characters, drops whole lines from the head. */
export function trimLog(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.indexOf('\n', text.length - max);
  return `# … earlier lines dropped\n${cut < 0 ? text.slice(-max) : text.slice(cut + 1)}`;
}
