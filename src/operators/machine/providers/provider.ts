// One interface for the places a Machine can live. The Machine reconciler walks the same steps for every
// provider (provision → component steps → join → health → delete); a provider says how each is done:
// `kwok` simulates the host (a Node object kept Ready by kwok), `kind` runs a container of the kind node
// image joined with kubeadm (as Cluster API's Docker provider does).
import type { V1Node } from '@kubernetes/client-node';
import type { BusinessCluster, Machine } from '../../../api';
import type { PlannedComponent } from '../components';
import type { ClusterConnection } from '../connections';
import type { StepName } from '../steps';
import type { ConditionInput } from '../../../kit';

export type ProviderName = 'kind' | 'kwok';

export interface ProviderContext {
  machine: Machine;
  cluster: BusinessCluster;
  /** The business cluster, through its admin kubeconfig. */
  conn: ClusterConnection;
  plan: PlannedComponent[];
  nodeName: string;
}

export interface DeleteContext {
  machine: Machine;
  nodeName: string;
  /** Absent when the business cluster is gone (its Nodes with it). */
  conn?: ClusterConnection;
  now: Date;
}

/** Why a step could not be done; `terminal`: no retry can fix it without a spec change. */
export interface ProviderProblem {
  reason: string;
  message: string;
  retryMs: number;
  terminal?: boolean;
}

export type ProvisionResult = { ok: true; condition: ConditionInput; providerID: string } | ({ ok: false } & ProviderProblem);
export type JoinResult = { ok: true; node: V1Node; condition: ConditionInput } | ({ ok: false } & ProviderProblem);
export type DeleteResult = { done: true } | ({ done: false } & ProviderProblem);

export interface StepRequest {
  component: string;
  version: string;
  step: StepName;
  /** Rendered script (template parameters replaced). */
  script: string;
  timeoutSeconds: number;
}

export interface StepResult {
  ok: boolean;
  /** What happened, for the component's status entry (no secrets). */
  message: string;
}

export interface ProviderDescription {
  provider: ProviderName;
  /** No host behind the machine: component scripts are not run. */
  simulated: boolean;
  /** Where the machine lives, e.g. `container prod-w1` or `kwok node w1`. */
  host: string;
}

export interface MachineProvider {
  readonly name: ProviderName;
  describe(machine: Machine): ProviderDescription;
  /** Makes the host exist and run (idempotent). */
  provision(ctx: ProviderContext): Promise<ProvisionResult>;
  /** Runs one component step on the host. */
  runStep(ctx: ProviderContext, req: StepRequest): Promise<StepResult>;
  /** Makes the host a Node of the business cluster (idempotent); `live` is the Node as read this pass. */
  join(ctx: ProviderContext, live: V1Node | undefined): Promise<JoinResult>;
  /** Removes the Node and the host; not done yet means call again later. */
  delete(ctx: DeleteContext): Promise<DeleteResult>;
}

export type Providers = Partial<Record<ProviderName, MachineProvider>>;
