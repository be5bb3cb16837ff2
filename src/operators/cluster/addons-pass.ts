// One addons pass against a business cluster, outside the reconciler so tests can drive it against real
// API servers: resolve each reference to its pinned (or default) version (addon-versions.ts), render
// and check every addon before applying anything, apply and prune (addon-inventory.ts), then read each
// applied addon's Deployments and DaemonSets back: an addon is ready only when they rolled out.
//
// One exception, stated on the condition: a business cluster with no Node at all (machines join after
// the control plane is Ready — `kokpit up`, MachineSets) cannot run any workload, so its waiting addons
// do not hold AddonsReady False; it is True with reason AddonsAppliedNoNodes and the message says what
// waits, and status.addons[].ready stays false. From the first Node on, the rule is strict.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Addon, BusinessClusterSpec, BusinessClusterStatus } from '../../api';
import { describeKubeError } from '../../kube';
import type { Applier } from '../../kit';
import { syncAddonObjects, type AddonRendering, type InventoryEntry } from './addon-inventory';
import { firstUnavailable, isWorkload, resolveAddonVersion, type Workload } from './addon-versions';
import { AddonError, renderAddon, resolveParameters, type AddonFacts } from './render/addons';

type AddonRef = NonNullable<BusinessClusterSpec['addons']>[number];
export type AddonResult = NonNullable<BusinessClusterStatus['addons']>[number];
export interface AddonProblem {
  reason: 'AddonFailed' | 'AddonVersionNotFound' | 'AddonNotAvailable';
  message: string;
}

/** Every reference rendered from its resolved version; one that fails keeps what it applied before (nothing of it pruned). */
export function renderAddonRefs(
  refs: AddonRef[],
  catalog: Addon[],
  facts: AddonFacts,
): { renderings: AddonRendering[]; versions: Map<string, string>; results: AddonResult[]; problems: AddonProblem[] } {
  const renderings: AddonRendering[] = [];
  const versions = new Map<string, string>();
  const results: AddonResult[] = [];
  const problems: AddonProblem[] = [];
  for (const ref of refs) {
    try {
      const def = resolveAddonVersion(ref, catalog);
      const objects = renderAddon(def, facts, resolveParameters(def, ref.parameters as Record<string, unknown> | undefined));
      renderings.push({ name: ref.name, objects: objects as KubernetesObject[] });
      versions.set(ref.name, def.spec.version);
    } catch (e) {
      const message = e instanceof AddonError ? e.message : `addon ${ref.name}: ${describeKubeError(e)}`;
      problems.push({ reason: e instanceof AddonError && e.reason === 'AddonVersionNotFound' ? e.reason : 'AddonFailed', message });
      results.push({ name: ref.name, ready: false, message });
      renderings.push({ name: ref.name });
    }
  }
  return { renderings, versions, results, problems };
}

/** The first of an addon's Deployments/DaemonSets not rolled out in the business cluster, and what it waits for. */
export async function addonWaiting(business: Applier, objects: KubernetesObject[]): Promise<string | undefined> {
  const workloads = [];
  for (const o of objects.filter(isWorkload))
    workloads.push({ ref: o as Workload, live: await business.read<KubernetesObject & Workload>(o as never) });
  return firstUnavailable(workloads);
}

/** Renders, applies, prunes and checks availability; results in spec order. Nothing here writes to the meta cluster. */
export async function runAddonsPass(
  business: Applier,
  refs: AddonRef[],
  catalog: Addon[],
  facts: AddonFacts,
  hasNodes: () => Promise<boolean>,
): Promise<{ results: AddonResult[]; problems: AddonProblem[]; deleted: InventoryEntry[]; nodeless: boolean }> {
  const { renderings, versions, results, problems } = renderAddonRefs(refs, catalog, facts);
  // Applies, and deletes what no addon renders any more (addons removed from spec included).
  const sync = await syncAddonObjects(business, renderings);
  let nodes: boolean | undefined;
  for (const r of renderings) {
    if (!r.objects) continue;
    const err = sync.applyErrors.get(r.name);
    if (err !== undefined) {
      const message = `addon ${r.name}: ${describeKubeError(err)}`;
      problems.push({ reason: 'AddonFailed', message });
      results.push({ name: r.name, ready: false, message });
      continue;
    }
    // Applied is not ready: the addon's Deployments and DaemonSets must have rolled out. Without a node nothing runs,
    // whatever the controllers report meanwhile (a DaemonSet wanting 0 pods counts as rolled out once observed): the
    // addon waits for a node, in words that stay until one joins, so the status is not rewritten as they progress.
    const workload = r.objects.find(isWorkload);
    if (workload && nodes === undefined) nodes = await hasNodes();
    const where = workload?.metadata?.namespace ? `${workload.metadata.namespace}/` : '';
    const waiting =
      workload && nodes === false
        ? `${workload.kind} ${where}${workload.metadata?.name} waits for a node`
        : await addonWaiting(business, r.objects);
    results.push({ name: r.name, version: versions.get(r.name), ready: !waiting, ...(waiting ? { message: waiting } : {}) });
    if (waiting) problems.push({ reason: 'AddonNotAvailable', message: `addon ${r.name}: ${waiting}` });
  }
  problems.push(...sync.pruneProblems.map((message) => ({ reason: 'AddonFailed' as const, message })));
  const order = new Map(refs.map((a, i) => [a.name, i]));
  results.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  const nodeless = nodes === false && problems.some((x) => x.reason === 'AddonNotAvailable');
  return { results, problems, deleted: sync.deleted, nodeless };
}

/** AddonsReady from a pass's problems: one reason when all agree (e.g. only waiting for workloads), else AddonFailed. */
export function addonsCondition(
  problems: AddonProblem[],
  addons: number,
  nodeless = false,
): { status: 'True' | 'False'; reason: string; message: string; waiting: boolean } {
  if (!problems.length)
    return { status: 'True', reason: 'AddonsAvailable', message: addons ? `${addons} available` : 'no addons', waiting: false };
  if (nodeless && problems.every((x) => x.reason === 'AddonNotAvailable')) {
    const message = `${addons} applied; the cluster has no nodes yet: ${problems.map((x) => x.message).join('; ')}`;
    return { status: 'True', reason: 'AddonsAppliedNoNodes', message, waiting: true };
  }
  const reasons = new Set(problems.map((x) => x.reason));
  const reason = reasons.size === 1 ? [...reasons][0] : 'AddonFailed';
  return { status: 'False', reason, message: problems.map((x) => x.message).join('; '), waiting: reason === 'AddonNotAvailable' };
}
