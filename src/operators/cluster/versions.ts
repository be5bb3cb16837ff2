// Pure decisions about versions: is the requested version usable, and which version each component
// runs in this pass (apiserver first, then controller-manager and scheduler; one minor at a time).
import { compareVersions, parseVersion } from '../../kit';
import { STATE_REASON_ANNOTATION, type KubernetesVersion, type KubernetesVersionSpec } from '../../api';

const USABLE = new Set(['Supported', 'Preview']);

export { compareVersions, parseVersion } from '../../kit';

export type CatalogVerdict =
  | {
      ok: true;
      release: KubernetesVersionSpec;
      /** Deprecated, but the cluster already runs it: the warning to show. */ deprecated?: string;
    }
  | { ok: false; reason: 'VersionNotInCatalog' | 'VersionNotUsable'; message: string };

/** Available versions as a message fragment: `v1.32.13, v1.33.13 (Preview)`. */
export function describeUsable(catalog: KubernetesVersion[]): string {
  const usable = catalog
    .filter((v) => USABLE.has(v.spec.state ?? 'Supported'))
    .sort((a, b) => compareVersions(a.spec.version, b.spec.version))
    .map((v) => (v.spec.state === 'Preview' ? `${v.spec.version} (Preview)` : v.spec.version));
  return usable.length ? usable.join(', ') : 'none (add one with `kokpit versions add -f <file>`)';
}

/**
 * Whether `version` may be used. `running`: versions the cluster already runs; a Deprecated version among them keeps
 * being reconciled (with a warning), since only new clusters and upgrades to it are refused.
 */
export function checkCatalog(version: string, catalog: KubernetesVersion[], running: readonly (string | undefined)[] = []): CatalogVerdict {
  const entry = catalog.find((v) => v.spec.version === version);
  if (!entry) {
    return {
      ok: false,
      reason: 'VersionNotInCatalog',
      message: `version ${version} is not in the version catalog; available: ${describeUsable(catalog)}`,
    };
  }
  const state = entry.spec.state ?? 'Supported';
  const why = (entry as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.[STATE_REASON_ANNOTATION];
  if (state === 'Deprecated' && running.includes(version))
    return {
      ok: true,
      release: entry.spec,
      deprecated:
        `${version} is Deprecated${why ? ` (${why})` : ''}: this cluster keeps being reconciled, but no new cluster or upgrade ` +
        `can use it; move on to one of ${describeUsable(catalog)}`,
    };
  if (!USABLE.has(state)) {
    return {
      ok: false,
      reason: 'VersionNotUsable',
      message:
        `version ${version} is ${state}${why ? ` (${why})` : ''}; clusters can use Supported or Preview ` +
        `versions: ${describeUsable(catalog)}`,
    };
  }
  return { ok: true, release: entry.spec };
}

export interface LiveComponent {
  /** Version label of the live Deployment (undefined when it doesn't exist yet). */
  version?: string;
  /** Whether every replica runs the Deployment's current template and is ready. */
  rolledOut: boolean;
}

export type VersionPlan =
  | {
      ok: true;
      /** Version the apiserver runs this pass (the target, or the next minor on the way there). */
      apiServer: string;
      controllers: string;
      /** The version the whole control plane runs, when it does (else undefined). */
      current?: string;
      upgrading: boolean;
      step?: string;
    }
  | { ok: false; reason: 'DowngradeRefused' | 'NoIntermediateVersion'; message: string };

/**
 * The next step towards `target`. Minors are taken one at a time (the highest usable patch of each
 * minor in between); controller-manager and scheduler follow only once the apiserver has rolled out.
 */
export function planVersions(
  target: string,
  apiServer: LiveComponent,
  controllers: LiveComponent,
  catalog: KubernetesVersion[],
): VersionPlan {
  const running = apiServer.version;
  if (!running) return { ok: true, apiServer: target, controllers: target, upgrading: false, current: undefined };
  if (compareVersions(target, running) < 0) {
    return {
      ok: false,
      reason: 'DowngradeRefused',
      message: `spec.version ${target} is older than the running ${running}; downgrades are not supported`,
    };
  }
  let apiTarget = target;
  const [rMaj, rMin] = parseVersion(running)!;
  // Version skew: the apiserver moves past `running` only once controller-manager and scheduler run
  // `running` too (their template is at that version), so no component ever trails by two minors.
  if (controllers.version !== undefined && controllers.version !== running && running !== target) apiTarget = running;
  const [tMaj, tMin] = parseVersion(target)!;
  if (apiTarget !== running && tMaj === rMaj && tMin > rMin + 1) {
    const next = catalog
      .filter((v) => USABLE.has(v.spec.state ?? 'Supported'))
      .map((v) => v.spec.version)
      .filter((v) => {
        const p = parseVersion(v);
        return p && p[0] === rMaj && p[1] === rMin + 1;
      })
      .sort(compareVersions)
      .pop();
    if (!next) {
      return {
        ok: false,
        reason: 'NoIntermediateVersion',
        message: `upgrading ${running} to ${target} goes one minor at a time, but the catalog has no usable v${rMaj}.${rMin + 1}.x`,
      };
    }
    apiTarget = next;
  }
  const apiDone = running === apiTarget && apiServer.rolledOut;
  const controllersTarget = apiDone ? apiTarget : (controllers.version ?? apiTarget);
  // Only a version change is an upgrade; pods that are merely not ready yet are provisioning.
  const upgrading = running !== target || (controllers.version !== undefined && controllers.version !== target);
  const current = running === controllers.version && apiServer.rolledOut && controllers.rolledOut ? running : undefined;
  const step = !upgrading
    ? undefined
    : running !== apiTarget || !apiServer.rolledOut
      ? `kube-apiserver to ${apiTarget}`
      : `kube-controller-manager and kube-scheduler to ${apiTarget}`;
  return { ok: true, apiServer: apiTarget, controllers: controllersTarget, current, upgrading, step };
}
