// Semantic rules per kind: what a JSON schema cannot say.
import { KIND_KIND } from '../kind-cluster-schema';
import { checkAddon } from './addon';
import { checkBusinessClusterSpec } from './business-cluster';
import { arr, obj, str, valueAt, type Rule, type RuleContext } from './context';
import { checkEtcdReplicas } from './etcd';
import { checkComponent, checkMachine, checkMachineSet } from './machines';
import { metadataRules } from './metadata';
import { checkNetworkRanges } from './network';
import { ocmRules } from './ocm';
import { checkFleetRollout } from './rollout';

const BY_KIND: Record<string, Rule[]> = {
  EtcdCluster: [(ctx) => checkEtcdReplicas(ctx, ['spec', 'replicas'])],
  BusinessCluster: [(ctx) => checkBusinessClusterSpec(ctx, ['spec'])],
  LocalEnvironment: [checkLocalEnvironment],
  Machine: [checkMachine],
  MachineSet: [checkMachineSet],
  Component: [checkComponent],
  Addon: [checkAddon],
  FleetRollout: [checkFleetRollout],
};

/** Runs every rule for the document's kind; `kokpit` selects kokpit.dev kinds, `kind` the kind cluster config, `ocm`
 *  Open Cluster Management's kinds. */
export function runRules(ctx: RuleContext, family: 'kokpit' | 'kind' | 'ocm', kind: string): void {
  if (family === 'ocm') return ocmRules(ctx, kind);
  if (family === 'kind') {
    if (kind === KIND_KIND) checkKindCluster(ctx);
    return;
  }
  metadataRules(ctx);
  for (const rule of BY_KIND[kind] ?? []) rule(ctx);
}

function checkLocalEnvironment(ctx: RuleContext): void {
  const clusters = arr(valueAt(ctx.value, ['spec', 'businessClusters']));
  clusters?.forEach((_, i) => checkBusinessClusterSpec(ctx, ['spec', 'businessClusters', i, 'spec']));
}

function checkKindCluster(ctx: RuleContext): void {
  const net = obj(ctx.value.networking);
  if (!net) return;
  const service = str(net.serviceSubnet);
  const pods = str(net.podSubnet);
  checkNetworkRanges(
    ctx,
    { path: ['networking', 'serviceSubnet'], value: service },
    { path: ['networking', 'podSubnet'], value: pods },
    false,
  );
}
