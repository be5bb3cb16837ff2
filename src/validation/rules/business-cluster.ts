// BusinessCluster spec rules (also applied to each business cluster inside a LocalEnvironment).
import { NetworkSpec } from '../../api/business-cluster';
import { formatPath, type PathSegment } from '../types';
import { obj, str, valueAt, type RuleContext } from './context';
import { checkEtcdBinding, checkEtcdReplicas } from './etcd';
import { checkMaintenanceWindows } from './maintenance';
import { checkNetworkRanges, checkNodePort } from './network';
import { checkReferences } from './references';

const DEFAULT_SERVICE_CIDR = NetworkSpec.properties.serviceCIDR.default as string;
const DEFAULT_POD_CIDR = NetworkSpec.properties.podCIDR.default as string;

export function checkBusinessClusterSpec(ctx: RuleContext, spec: readonly PathSegment[]): void {
  const value = obj(valueAt(ctx.value, spec));
  if (!value) return;
  checkEtcdBinding(ctx, [...spec, 'etcd']);
  checkEtcdReplicas(ctx, [...spec, 'etcd', 'managed', 'replicas']);
  checkNodePort(ctx, [...spec, 'apiServer', 'service', 'nodePort']);
  for (const part of ['apiServer', 'controllerManager', 'scheduler']) checkExtraArgs(ctx, [...spec, part, 'extraArgs']);
  const network = obj(value.network);
  if (network) {
    checkNetworkRanges(
      ctx,
      { path: [...spec, 'network', 'serviceCIDR'], value: str(network.serviceCIDR), fallback: DEFAULT_SERVICE_CIDR },
      { path: [...spec, 'network', 'podCIDR'], value: str(network.podCIDR), fallback: DEFAULT_POD_CIDR },
      true,
    );
  }
  checkReferences(ctx, [...spec, 'addons'], 'Addon', 'name');
  checkCatalogVersion(ctx, [...spec, 'version']);
  checkMaintenanceWindows(ctx, [...spec, 'maintenance', 'windows']);
}

/** Flags are written without dashes: `{"v": "2"}` becomes `--v=2`, so `--v` would become `----v`. */
export function checkExtraArgs(ctx: RuleContext, path: readonly PathSegment[]): void {
  const args = obj(valueAt(ctx.value, path));
  if (!args) return;
  for (const key of Object.keys(args)) {
    if (!key.startsWith('-')) continue;
    const bare = key.replace(/^-+/, '');
    ctx.report(
      [...path, key],
      'key',
      'error',
      'extra-args-dashes',
      `${formatPath(path)} key "${key}" must be written without leading dashes: use "${bare}" (kokpit adds them: ${bare}: ` +
        `x becomes --${bare}=x)`,
    );
  }
}

const USABLE_STATES = new Set(['Supported', 'Preview']);
/** The cluster operator keeps reconciling a cluster that already runs a Deprecated version (issue 17). */
const DEPRECATED_NOTE = 'a new cluster or an upgrade to it is refused (a cluster already running it keeps being reconciled)';

function checkCatalogVersion(ctx: RuleContext, path: readonly PathSegment[]): void {
  const entries = ctx.opts.catalog;
  const catalog = entries ? entries.map((e) => e.version) : ctx.opts.catalogVersions;
  const version = valueAt(ctx.value, path);
  if (!catalog || typeof version !== 'string' || !/^v[0-9]+\.[0-9]+\.[0-9]+$/.test(version)) return;
  const usable = entries?.filter((e) => USABLE_STATES.has(e.state ?? 'Supported')).map((e) => e.version);
  // Without states (a plain version list) every catalog version counts as Supported.
  const data = { supported: entries ? entries.filter((e) => (e.state ?? 'Supported') === 'Supported').map((e) => e.version) : catalog };
  const entry = entries?.find((e) => e.version === version);
  if (entry && !USABLE_STATES.has(entry.state ?? 'Supported')) {
    ctx.report(
      path,
      'value',
      'warning',
      'version-not-usable',
      `Kubernetes ${version} is ${entry.state} in the meta cluster's version catalog${entry.reason ? ` (${entry.reason})` : ''}; ` +
        `${entry.state === 'Deprecated' ? DEPRECATED_NOTE : 'a cluster at it will not start'}: ` +
        `use ${usable?.length ? usable.join(', ') : 'a Supported version'}`,
      undefined,
      data,
    );
    return;
  }
  if (catalog.includes(version)) return;
  const known = (usable ?? catalog).length ? (usable ?? catalog).join(', ') : 'none';
  ctx.report(
    path,
    'value',
    'warning',
    'unknown-version',
    `Kubernetes ${version} is not in the meta cluster's version catalog (${known}); pick one of those or add a KubernetesVersion for it`,
    undefined,
    data,
  );
}
