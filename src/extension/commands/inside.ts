// Read-only troubleshooting inside a business cluster from the Fleet view: "Load more…" of a paged list, Show Logs
// of a pod (live, or its previous container), and the cluster's control-plane pods in the meta cluster (Show
// Control Plane Logs / Events, from the BusinessCluster node). The lists and pod status are src/fleet/inside.ts.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { formatEvents } from '../../actions/fleet-actions';
import { listEvents } from '../../actions/fleet-requests';
import type { BusinessCluster } from '../../api';
import { controlPlanePodDescription, noLogReason, podContainers } from '../../fleet/inside';
import { listControlPlanePods } from '../../fleet/inside-watch';
import { COMMANDS, nodeIdArgument } from '../model/commands';
import { EVENTS_SCHEME, eventsDocuments } from './cluster-actions';
import { pickNode } from './fleet';
import type { CommandModule, CommandServices } from './types';

function insideOf(services: CommandServices) {
  if (!services.inside) throw new Error('the Fleet view is not ready');
  return services.inside;
}

/** The container to show: the only one, or the user's pick. */
async function pickContainer(pod: V1Pod): Promise<string | undefined> {
  const containers = podContainers(pod);
  if (containers.length <= 1) return containers[0];
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const picked = await vscode.window.showQuickPick(
    containers.map((c) => {
      const s = statuses.find((x) => x.name === c);
      return { label: c, description: s ? `${s.ready ? 'ready' : 'not ready'} · ${s.restartCount} restarts` : undefined };
    }),
    { title: `Container of ${pod.metadata?.name}` },
  );
  return picked?.label;
}

async function showLogs(services: CommandServices, kc: KubeConfig, cluster: string, pod: V1Pod, previous: boolean): Promise<void> {
  const why = noLogReason(pod);
  if (why) throw new Error(why);
  const container = await pickContainer(pod);
  if (!container) return;
  const target = { namespace: pod.metadata!.namespace!, pod: pod.metadata!.name!, container, previous };
  const uri = await insideOf(services).logs.open(kc, cluster, target);
  services.runtime.logger.info(`streaming the log of ${target.namespace}/${target.pod} ${container} (${cluster})`);
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
}

async function showPodLogs(services: CommandServices, arg: unknown, previous: boolean): Promise<void> {
  const id = nodeIdArgument(arg);
  const { tree } = insideOf(services);
  const item = id ? tree.item(id) : undefined;
  if (!item || item.list.kind !== 'pods') throw new Error('run Show Logs from a pod under a business cluster\'s "Inside" group');
  await showLogs(services, await tree.kubeConfigOf(id!), item.cluster.metadata.name, item.obj as V1Pod, previous);
}

/** The BusinessCluster node's control-plane pods in the meta cluster, and the user's pick of one. */
async function pickControlPlanePod(services: CommandServices, arg: unknown, what: string) {
  const kc = services.fleet.metaKubeConfig;
  if (!kc) throw new Error('not connected to a meta cluster (run "Kokpit: Connect to Meta Cluster")');
  const node = await pickNode(services, arg, what, (n) => n.kind === 'businessCluster');
  const bc = node?.ref ? (services.fleet.object(node.ref) as BusinessCluster | undefined) : undefined;
  if (!bc) return undefined;
  const pods = await listControlPlanePods(kc, bc);
  const name = `${bc.metadata.namespace}/${bc.metadata.name}`;
  if (pods.length === 0) throw new Error(`${name} has no control-plane pods in the meta cluster yet`);
  const picked = await vscode.window.showQuickPick(
    pods.map((p) => ({ label: p.metadata!.name!, description: controlPlanePodDescription(p) })),
    { title: `Control-plane pod of ${name}` },
  );
  const pod = pods.find((p) => p.metadata?.name === picked?.label);
  return pod ? { kc, pod } : undefined;
}

async function showControlPlaneLogs(services: CommandServices, arg?: unknown): Promise<void> {
  const picked = await pickControlPlanePod(services, arg, 'show the control-plane logs of');
  if (!picked) return;
  const context = services.fleet.state.kind === 'connected' ? services.fleet.state.context : 'meta cluster';
  await showLogs(services, picked.kc, context, picked.pod, false);
}

async function showControlPlaneEvents(services: CommandServices, arg?: unknown): Promise<void> {
  const picked = await pickControlPlanePod(services, arg, 'show the control-plane events of');
  if (!picked) return;
  const ref = { kind: 'Pod', namespace: picked.pod.metadata!.namespace!, name: picked.pod.metadata!.name! };
  const context = services.fleet.state.kind === 'connected' ? services.fleet.state.context : 'meta cluster';
  const uri = vscode.Uri.from({ scheme: EVENTS_SCHEME, path: `/Pod/${ref.namespace}/${ref.name}.events` });
  eventsDocuments.set(uri, formatEvents(ref, await listEvents(picked.kc, ref), context));
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
}

export const insideCommands: CommandModule = {
  [COMMANDS.insideLoadMore.id]: (services, arg) => insideOf(services).tree.loadMore(nodeIdArgument(arg) ?? ''),
  [COMMANDS.showPodLogs.id]: (services, arg) => showPodLogs(services, arg, false),
  [COMMANDS.showPodLogsPrevious.id]: (services, arg) => showPodLogs(services, arg, true),
  [COMMANDS.showControlPlaneLogs.id]: showControlPlaneLogs,
  [COMMANDS.showControlPlaneEvents.id]: showControlPlaneEvents,
};
