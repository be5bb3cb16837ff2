// What every `kokpit up` runtime does to its meta cluster once it answers: kokpit's CRDs and default
// catalog, then the manager (every reconciler, holding the leader lease). Shared by the sandbox and kind.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../controller/reconciler';
import { applyObject, makeObjectApi } from '../kube';
import { Manager, type OperatorDefinition } from '../manager/manager';
import { installCRDs } from '../controlplane';
import { packageDir } from './assets';
import { catalogObjects } from './sample';
import type { StepTiming } from './state';

export const MANAGER_NAMESPACE = 'kokpit-system';

/** Runs `fn` as a named step: records and reports its duration. */
export function stepTimer(steps: StepTiming[], report: (s: StepTiming) => void) {
  return async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const r = await fn();
    const s = { step, ms: Date.now() - t0 };
    steps.push(s);
    report(s);
    return r;
  };
}

export async function installKokpitBase(kc: KubeConfig): Promise<void> {
  await installCRDs(kc, packageDir('config/crd'));
  const objects = makeObjectApi(kc);
  await applyObject(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: MANAGER_NAMESPACE } });
  for (const obj of catalogObjects()) await applyObject(objects, obj as KubernetesObject);
}

/**
 * Starts the manager as a step of `kokpit up` (the same step line in every runtime); `lostLease` resolves when it
 * loses its leader lease.
 */
export function startKokpitManager(
  timed: ReturnType<typeof stepTimer>,
  kc: KubeConfig,
  operators: OperatorDefinition[],
  log: Logger,
): Promise<{ manager: Manager; lostLease: Promise<string> }> {
  const names = operators.map((r) => r.name).join(', ');
  return timed(`manager (${names}) holding the lease ${MANAGER_NAMESPACE}/kokpit-manager`, () => startManager(kc, operators, log));
}

async function startManager(
  kc: KubeConfig,
  operators: OperatorDefinition[],
  log: Logger,
): Promise<{ manager: Manager; lostLease: Promise<string> }> {
  const manager = new Manager({
    kc,
    operators,
    log,
    leaderElection: {
      namespace: MANAGER_NAMESPACE,
      onWaiting: (holder) => log.info(`another manager (${holder}) holds the lease; waiting`),
    },
    // On the host: loopback only, any free port; `kokpit metrics` finds it in the environment's state.
    metricsAddress: '127.0.0.1:0',
    probeAddress: '127.0.0.1:0',
  });
  await manager.start();
  const lostLease = new Promise<string>(
    (resolve) => void manager.finished.then((s) => s === 'lost-lease' && resolve('the manager lost its leader lease')),
  );
  return { manager, lostLease };
}
