// The meta cluster connection behind the Fleet view: connect (probe first, for precise errors), watch, expose the
// model as a FleetSource, remember the chosen context, disconnect. The user's kubeconfig files are never written.
import type { KubeConfig } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import type { FleetNode } from '../../fleet/model';
import type { ValidateOptions } from '../../validation';
import { offlineValidationOptions } from '../model/validation-options';
import { FleetConnection, type ObjectRef } from '../model/fleet-connection';
import { toFleetNodeView } from '../model/fleet-view';
import { hasExplicitKubeconfig, MetaClusterError } from '../model/meta-cluster';
import type { Runtime } from '../runtime';
import type { FleetNodeView, FleetSource } from './source';

export type FleetState =
  | { kind: 'disconnected' }
  | { kind: 'connecting'; context: string }
  | { kind: 'connected'; context: string; server: string }
  | { kind: 'failed'; context?: string; message: string };

const CONTEXT_KEY = 'kokpit.metaCluster.context';
/** Set when the meta cluster's kubeconfig is not the user's (a local environment created from the editor). */
const FILE_KEY = 'kokpit.metaCluster.kubeconfigFile';

export class FleetController implements vscode.Disposable {
  private connection: FleetConnection | undefined;
  private kubeConfig: KubeConfig | undefined;
  /** The kubeconfig file of the connection when it is not the configured one. */
  private file: string | undefined;
  private current: FleetState = { kind: 'disconnected' };
  private readonly stateChanged = new vscode.EventEmitter<FleetState>();
  private readonly treeChanged = new Set<(ids: string[] | undefined) => void>();
  private readonly objectChanged = new vscode.EventEmitter<ObjectRef>();
  private connectionSubscriptions: { dispose(): void }[] = [];
  /** Bumped on every connect/disconnect, so a slow connect that was superseded does not win. */
  private generation = 0;

  readonly onDidChangeState = this.stateChanged.event;
  readonly onDidChangeObject = this.objectChanged.event;
  readonly source: FleetSource<string>;

  constructor(
    private readonly runtime: Runtime,
    private readonly memento?: vscode.Memento,
  ) {
    const model = () => this.connection?.model;
    this.source = {
      roots: () => (model() ? [model()!.rootId] : []),
      children: (id) => model()?.get(id)?.children ?? [],
      parent: (id) => model()?.get(id)?.parentId,
      view: (id): FleetNodeView => {
        const node = model()?.get(id);
        // VS Code may ask for a node removed a moment ago; a placeholder is replaced by the parent's refresh.
        return node ? toFleetNodeView(node) : { id, label: '(removed)', collapsible: 'none' };
      },
      onDidChange: (listener) => {
        this.treeChanged.add(listener);
        return { dispose: () => void this.treeChanged.delete(listener) };
      },
    };
  }

  /** What the validation engine knows: offline defaults, plus the connected meta cluster's version catalog. */
  validationOptions(): ValidateOptions {
    const model = this.connection?.model;
    const catalog = model?.catalog();
    return { ...offlineValidationOptions(), ...(catalog?.length ? { catalog } : {}) };
  }

  get state(): FleetState {
    return this.current;
  }

  /** One line above the tree: what is connected, what is happening, or exactly what went wrong. */
  stateMessage(): string | undefined {
    switch (this.current.kind) {
      case 'connecting':
        return `Connecting to ${this.current.context}…`;
      case 'failed':
        return `Not connected: ${this.current.message}`;
      default:
        return undefined;
    }
  }

  /** Where the manager runs and its lease, on the meta-cluster node (read by the reconcilers' lease watch). */
  setManagerSummary(summary: { text: string; status: FleetNode['status']; tooltip?: string }): void {
    const ids = this.connection?.model.setManager(summary);
    if (ids?.length) this.fireTree(ids);
  }

  node(id: string): FleetNode | undefined {
    return this.connection?.model.get(id);
  }

  object(ref: ObjectRef) {
    return this.connection?.object(ref);
  }

  objectNodes(): FleetNode[] {
    return this.connection?.objectNodes() ?? [];
  }

  /** Every watched object of one kind (e.g. the version catalog). */
  objectsOfKind(kind: string) {
    return this.connection?.objectsOfKind(kind) ?? [];
  }

  /** The kubeconfig file this connection uses when it is not the configured one (a local environment's). */
  get kubeconfigFile(): string | undefined {
    return this.file;
  }

  /** The kubeconfig of the connected meta cluster (in memory; its context selected). */
  get metaKubeConfig(): KubeConfig | undefined {
    return this.current.kind === 'connected' ? this.kubeConfig : undefined;
  }

  /** Connects on activation when a meta cluster was named (setting, $KUBECONFIG, or an earlier connect). */
  async autoConnect(): Promise<void> {
    const remembered = this.memento?.get<string>(CONTEXT_KEY);
    const file = this.memento?.get<string>(FILE_KEY);
    if (!remembered && !hasExplicitKubeconfig(this.runtime.settings.current().kubeconfig)) return;
    await this.connect(remembered, { quiet: true, kubeconfigFile: file });
  }

  /**
   * Connects to `context` (default: the kubeconfig's current context) of the configured kubeconfig, or of
   * `kubeconfigFile` (a local environment's). Never throws; the state says what happened.
   */
  async connect(context?: string, opts: { quiet?: boolean; kubeconfigFile?: string } = {}): Promise<FleetState> {
    const generation = ++this.generation;
    await this.teardown();
    const { logger, kube, clock } = this.runtime;
    this.file = opts.kubeconfigFile;
    let kc: KubeConfig;
    try {
      kc = kube.load(context, opts.kubeconfigFile);
    } catch (e) {
      return this.fail(generation, undefined, e, opts.quiet);
    }
    const name = kc.getCurrentContext();
    const server = kc.getCurrentCluster()?.server ?? '';
    this.setState({ kind: 'connecting', context: name });
    logger.info(`connecting to meta cluster '${name}' at ${server}`);
    const started = clock.now();
    try {
      await kube.probe(kc);
      if (generation !== this.generation) return this.current;
      const ocmServed = kube.ocmServed && (() => kube.ocmServed!(kc));
      const connection = new FleetConnection({ name, streams: (k) => kube.stream(kc, k), ocmServed, clock, logger });
      this.connection = connection;
      this.kubeConfig = kc;
      this.connectionSubscriptions = [
        connection.onDidChange((ids) => this.fireTree(ids)),
        connection.onDidChangeObject((ref) => this.objectChanged.fire(ref)),
      ];
      await connection.start();
      if (generation !== this.generation) return this.current;
    } catch (e) {
      await this.teardown();
      return this.fail(generation, name, e, opts.quiet);
    }
    await this.memento?.update(CONTEXT_KEY, name);
    await this.memento?.update(FILE_KEY, opts.kubeconfigFile);
    logger.info(`connected to '${name}' in ${Math.round(clock.now() - started)} ms: ${this.connection.model.size} fleet nodes`);
    this.setState({ kind: 'connected', context: name, server });
    this.fireTree(undefined);
    return this.current;
  }

  async disconnect(): Promise<void> {
    this.generation++;
    await this.teardown();
    await this.memento?.update(CONTEXT_KEY, undefined);
    await this.memento?.update(FILE_KEY, undefined);
    this.file = undefined;
    this.setState({ kind: 'disconnected' });
    this.fireTree(undefined);
  }

  /** Relists everything (a fresh set of watches on the same context). */
  async refresh(): Promise<FleetState> {
    const context =
      this.current.kind === 'connected' || this.current.kind === 'failed' || this.current.kind === 'connecting'
        ? this.current.context
        : undefined;
    return this.connect(context, { kubeconfigFile: this.file });
  }

  dispose(): void {
    this.generation++;
    void this.teardown();
    this.stateChanged.dispose();
    this.objectChanged.dispose();
    this.treeChanged.clear();
  }

  private fail(generation: number, context: string | undefined, e: unknown, quiet?: boolean): FleetState {
    if (generation !== this.generation) return this.current;
    const message = e instanceof Error ? e.message : String(e);
    this.runtime.logger.warn(`meta cluster${context ? ` '${context}'` : ''}: ${message}`);
    this.setState({ kind: 'failed', context, message });
    this.fireTree(undefined);
    if (!quiet || !(e instanceof MetaClusterError)) void vscode.window.showErrorMessage(`Kokpit: ${message}`);
    return this.current;
  }

  private async teardown(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.kubeConfig = undefined;
    for (const s of this.connectionSubscriptions) s.dispose();
    this.connectionSubscriptions = [];
    if (connection) await connection.stop();
  }

  private setState(state: FleetState): void {
    this.current = state;
    void vscode.commands.executeCommand('setContext', 'kokpit.connected', state.kind === 'connected');
    // Only local environments (created from the editor) are connected through their own kubeconfig file.
    void vscode.commands.executeCommand('setContext', 'kokpit.connectedLocal', state.kind === 'connected' && this.file !== undefined);
    this.stateChanged.fire(state);
  }

  private fireTree(ids: string[] | undefined): void {
    const model = this.connection?.model;
    // Only nodes still in the model; a removed node's parent is in the batch and redraws without it.
    const live = ids && model ? ids.filter((id) => model.get(id)) : undefined;
    if (live && live.length === 0) return;
    for (const l of this.treeChanged) l(live);
  }
}
