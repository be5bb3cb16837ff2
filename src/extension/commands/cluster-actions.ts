// Actions on fleet objects, from their context menu or the palette (which asks for the object): upgrade a business
// cluster, scale etcd, back up etcd now, restore etcd from a backup, show events, copy the apiserver endpoint, merge
// a business cluster's kubeconfig into the user's. The decisions are in src/actions/ (plain, unit-tested); here the
// user is asked and the requests are sent. Each failure ends in one precise message (the command wrapper shows it).
import type { KubeConfig } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import {
  backupManifest,
  currentVersion,
  endpointOf,
  etcdClusterOf,
  checkMachineCount,
  etcdScaleChoices,
  machineSetScalePatch,
  etcdScaleTarget,
  formatEvents,
  restoreChoices,
  restoredClusterManifest,
  restoredName,
  scalePatch,
  upgradeChoices,
  upgradePatch,
} from '../../actions/fleet-actions';
import {
  createBackup,
  createEtcdCluster,
  listBackups,
  listEtcdClusterNames,
  listEvents,
  patchKokpitObject,
} from '../../actions/fleet-requests';
import type { BusinessCluster, EtcdCluster, KubernetesVersion, MachineSet } from '../../api';
import type { FleetNode } from '../../fleet/model';
import { COMMANDS } from '../model/commands';
import { pickNode } from './fleet';
import type { CommandModule, CommandServices } from './types';

export const EVENTS_SCHEME = 'kokpit-events';

/**
 * `kokpit kubeconfig --merge` as a library call, so the CLI and the editor write the same thing. Loaded on first use
 * (it reaches into the CLI's local-environment code); a require so it resolves alike in the bundle and under tsx.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kubeconfigMerge = (): typeof import('../../cli/commands/kubeconfig') => require('../../cli/commands/kubeconfig');

const NOT_CONNECTED = 'not connected to a meta cluster (run "Kokpit: Connect to Meta Cluster")';

function metaCluster({ fleet }: CommandServices): { kc: KubeConfig; context: string } {
  const kc = fleet.metaKubeConfig;
  if (fleet.state.kind !== 'connected' || !kc) throw new Error(NOT_CONNECTED);
  return { kc, context: fleet.state.context };
}

/** The node's object as the watch last saw it; the kinds it may be. */
async function pickObject<T extends { kind: string }>(
  services: CommandServices,
  arg: unknown,
  what: string,
  kinds: readonly string[],
): Promise<T | undefined> {
  // Checked first, so a context-menu click after a disconnect says why rather than "no longer in the fleet".
  metaCluster(services);
  const node = await pickNode(services, arg, what, (n) => !!n.ref && kinds.includes(n.ref.kind));
  if (!node) return undefined;
  if (!node.ref || !kinds.includes(node.ref.kind))
    throw new Error(`${what}: ${node.label} is not ${kinds.map((k) => `a ${k}`).join(' or ')}`);
  const obj = services.fleet.object(node.ref) as T | undefined;
  if (!obj)
    throw new Error(`${node.ref.kind} ${node.ref.namespace ? `${node.ref.namespace}/` : ''}${node.ref.name} is no longer in the fleet`);
  return obj;
}

const nameOf = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;

function lookup(services: CommandServices) {
  const find =
    <T>(kind: string) =>
    (namespace: string, name: string) =>
      services.fleet.object({ kind, namespace, name }) as T | undefined;
  return { businessCluster: find<BusinessCluster>('BusinessCluster'), etcdCluster: find<EtcdCluster>('EtcdCluster') };
}

async function upgrade(services: CommandServices, arg?: unknown): Promise<void> {
  const cluster = await pickObject<BusinessCluster>(services, arg, 'upgrade', ['BusinessCluster']);
  if (!cluster) return;
  const { kc } = metaCluster(services);
  const catalog = services.fleet.objectsOfKind('KubernetesVersion') as unknown as KubernetesVersion[];
  const choices = upgradeChoices(cluster, catalog);
  const from = currentVersion(cluster);
  if (choices.length === 0) {
    void vscode.window.showInformationMessage(
      `Kokpit: no catalog version is newer than ${from} for ${nameOf(cluster)} (${catalog.length} versions in the catalog; ` +
        `add one with \`kokpit versions add\`)`,
    );
    return;
  }
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: c.version, description: `${c.state} · ${c.note}`, version: c.version })),
    { title: `Kokpit: upgrade ${nameOf(cluster)} from ${from}`, placeHolder: 'Kubernetes version to upgrade to' },
  );
  if (!picked) return;
  const ref = { kind: 'BusinessCluster', namespace: cluster.metadata.namespace, name: cluster.metadata.name! };
  await patchKokpitObject(kc, ref, upgradePatch(cluster, picked.version));
  services.runtime.logger.info(`upgrade: BusinessCluster ${nameOf(cluster)} spec.version ${cluster.spec.version} → ${picked.version}`);
  void vscode.window.showInformationMessage(`Kokpit: upgrading ${nameOf(cluster)} to ${picked.version}; the tree shows its progress`);
}

async function scaleEtcd(services: CommandServices, arg?: unknown): Promise<void> {
  const obj = await pickObject<EtcdCluster | BusinessCluster>(services, arg, 'scale the etcd of', ['EtcdCluster', 'BusinessCluster']);
  if (!obj) return;
  const { kc } = metaCluster(services);
  const target = etcdScaleTarget(obj, lookup(services));
  const via = target.kind === 'BusinessCluster' ? ` (managed by BusinessCluster ${target.name}: spec.etcd.managed.replicas)` : '';
  const picked = await vscode.window.showQuickPick(
    etcdScaleChoices(target.current).map((c) => ({ label: c.label, description: c.description, replicas: c.replicas })),
    { title: `Kokpit: scale etcd cluster ${target.namespace}/${target.etcdCluster}${via}` },
  );
  if (!picked) return;
  await patchKokpitObject(kc, target, scalePatch(target, picked.replicas));
  services.runtime.logger.info(
    `scale: ${target.kind} ${target.namespace}/${target.name} ${target.path} ${target.current ?? '(default)'} → ${picked.replicas}`,
  );
  void vscode.window.showInformationMessage(
    `Kokpit: scaling etcd cluster ${target.namespace}/${target.etcdCluster} to ${picked.label}; members change one at a time`,
  );
}

async function scaleMachineSet(services: CommandServices, arg?: unknown): Promise<void> {
  const ms = await pickObject<MachineSet>(services, arg, 'scale', ['MachineSet']);
  if (!ms) return;
  const { kc } = metaCluster(services);
  const text = await vscode.window.showInputBox({
    title: `Kokpit: scale MachineSet ${nameOf(ms)} (now ${ms.spec.replicas ?? 1}, ${ms.status?.readyReplicas ?? 0} ready)`,
    prompt: 'Number of machines',
    value: String(ms.spec.replicas ?? 1),
    validateInput: (v) => checkMachineCount(v),
  });
  if (text === undefined) return;
  const replicas = Number(text.trim());
  const ref = { kind: 'MachineSet', namespace: ms.metadata.namespace, name: ms.metadata.name! };
  await patchKokpitObject(kc, ref, machineSetScalePatch(ms, replicas));
  services.runtime.logger.info(`scale: MachineSet ${nameOf(ms)} spec.replicas ${ms.spec.replicas ?? '(default)'} → ${replicas}`);
  void vscode.window.showInformationMessage(`Kokpit: scaling MachineSet ${nameOf(ms)} to ${replicas}; machines change in phases`);
}

async function backupNow(services: CommandServices, arg?: unknown): Promise<void> {
  const obj = await pickObject<EtcdCluster | BusinessCluster>(services, arg, 'back up the etcd of', ['EtcdCluster', 'BusinessCluster']);
  if (!obj) return;
  const { kc } = metaCluster(services);
  const namespace = obj.metadata.namespace ?? 'default';
  const backup = backupManifest(namespace, etcdClusterOf(obj), new Date());
  await createBackup(kc, backup);
  services.runtime.logger.info(
    `backup: created EtcdBackup ${namespace}/${backup.metadata.name} of EtcdCluster ${backup.spec.etcdClusterRef.name}`,
  );
  void vscode.window.showInformationMessage(
    `Kokpit: EtcdBackup ${namespace}/${backup.metadata.name} created; the etcd operator takes the snapshot`,
  );
}

async function restore(services: CommandServices, arg?: unknown): Promise<void> {
  const source = await pickObject<EtcdCluster>(services, arg, 'restore from a backup of', ['EtcdCluster']);
  if (!source) return;
  const { kc } = metaCluster(services);
  const namespace = source.metadata.namespace ?? 'default';
  const choices = restoreChoices(source.metadata.name!, await listBackups(kc, namespace));
  if (choices.length === 0) {
    throw new Error(`EtcdCluster ${nameOf(source)} has no Completed backup to restore from (run "Kokpit: Back Up etcd Now" first)`);
  }
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: c.label, description: c.description, backup: c.backup })),
    { title: `Kokpit: restore ${nameOf(source)} from a backup into a new EtcdCluster` },
  );
  if (!picked) return;
  const taken = await listEtcdClusterNames(kc, namespace);
  const name = await vscode.window.showInputBox({
    title: `Kokpit: name of the EtcdCluster restored from ${picked.backup}`,
    value: restoredName(source.metadata.name!, taken),
    prompt: 'A new cluster is created from the snapshot; the source cluster is left as it is.',
    validateInput: (v) =>
      !/^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/.test(v)
        ? 'lowercase letters, digits and dashes, at most 50'
        : taken.has(v)
          ? `${v} exists already`
          : undefined,
  });
  if (!name) return;
  await createEtcdCluster(kc, restoredClusterManifest(source, picked.backup, name));
  services.runtime.logger.info(
    `restore: created EtcdCluster ${namespace}/${name} from EtcdBackup ${picked.backup} of ${source.metadata.name}`,
  );
  void vscode.window.showInformationMessage(`Kokpit: EtcdCluster ${namespace}/${name} is being created from backup ${picked.backup}`);
}

/** Events documents by URI; re-running the command refreshes an open one. */
export class EventsDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '# Events are fetched by "Kokpit: Show Events"; run it again.\n';
  }

  set(uri: vscode.Uri, text: string): void {
    const had = this.texts.has(uri.toString());
    this.texts.set(uri.toString(), text);
    if (had) this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
    this.texts.clear();
  }
}

export const eventsDocuments = new EventsDocuments();

export function registerEventsDocuments(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(EVENTS_SCHEME, eventsDocuments));
}

async function showEvents(services: CommandServices, arg?: unknown): Promise<void> {
  const { kc, context } = metaCluster(services);
  const node: FleetNode | undefined = await pickNode(services, arg, 'show the events of', (n) => !!n.ref);
  if (!node) return;
  if (!node.ref) throw new Error(`${node.label} is not an API object, so it has no events`);
  const text = formatEvents(node.ref, await listEvents(kc, node.ref), context);
  const uri = vscode.Uri.from({ scheme: EVENTS_SCHEME, path: `/${node.ref.kind}/${node.ref.namespace ?? '_'}/${node.ref.name}.events` });
  eventsDocuments.set(uri, text);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: true });
}

async function copyEndpoint(services: CommandServices, arg?: unknown): Promise<void> {
  const cluster = await pickObject<BusinessCluster>(services, arg, 'copy the apiserver endpoint of', ['BusinessCluster']);
  if (!cluster) return;
  const endpoint = endpointOf(cluster);
  await vscode.env.clipboard.writeText(endpoint);
  services.runtime.logger.info(`copied the endpoint of ${nameOf(cluster)}: ${endpoint}`);
  void vscode.window.showInformationMessage(`Kokpit: ${endpoint} copied to the clipboard`);
}

async function mergeKubeconfig(services: CommandServices, arg?: unknown): Promise<void> {
  const cluster = await pickObject<BusinessCluster>(services, arg, 'merge the kubeconfig of', ['BusinessCluster']);
  if (!cluster) return;
  const { kc } = metaCluster(services);
  // Never `use`: browsing or merging a business cluster does not change the user's current context.
  const result = await kubeconfigMerge().mergeBusinessClusterKubeconfig(
    kc,
    cluster.metadata.name!,
    cluster.metadata.namespace ?? 'default',
  );
  // Where and which context, never the content (it holds a client key).
  services.runtime.logger.info(`merge kubeconfig of ${nameOf(cluster)}: context ${result.context} ${result.outcome} in ${result.file}`);
  const current = result.current ? ` (it is your current context)` : '; your current context is unchanged';
  void vscode.window.showInformationMessage(`Kokpit: context ${result.context} ${result.outcome} in ${result.file}${current}`);
}

export const clusterActionCommands: CommandModule = {
  [COMMANDS.upgradeCluster.id]: upgrade,
  [COMMANDS.scaleEtcd.id]: scaleEtcd,
  [COMMANDS.scaleMachineSet.id]: scaleMachineSet,
  [COMMANDS.backupEtcd.id]: backupNow,
  [COMMANDS.restoreEtcd.id]: restore,
  [COMMANDS.showEvents.id]: showEvents,
  [COMMANDS.copyEndpoint.id]: copyEndpoint,
  [COMMANDS.mergeKubeconfig.id]: mergeKubeconfig,
};
