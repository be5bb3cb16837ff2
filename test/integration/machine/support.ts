// The machine operator's test environment: one meta control plane with kokpit's CRDs, and a business
// cluster that is simply a second control plane from the harness (fast to start). Its admin kubeconfig is
// put in the Secret shape the cluster operator writes (`<cluster>-admin-kubeconfig`, key `value`), and the
// BusinessCluster's status is marked as the cluster operator would once its API server is available
// (APIServerAvailable=True, kubeconfigSecretName) — the cluster operator itself does not run here; its own
// tests run real business control planes.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { applyObject, makeObjectApi } from '../../../src/kube';
import { applyStatus } from '../../../src/kit';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { KwokProvider } from '../../../src/operators/machine/providers/kwok';
import type { MachineProvider, StepRequest } from '../../../src/operators/machine/providers/provider';
import { AuditWrites } from '../../support/audit-writes';

export const API = 'kokpit.dev/v1alpha1';

export interface MachineEnv {
  meta: ControlPlane;
  business: ControlPlane;
  kc: KubeConfig;
  bkc: KubeConfig;
  /** Both API servers' audit logs: the machine operator writes to the meta cluster and Nodes to the business cluster. */
  audits: AuditWrites[];
  stop(): Promise<void>;
}

export async function startMachineEnv(namespace: string, cluster: string): Promise<MachineEnv> {
  const [meta, business] = await Promise.all([
    startControlPlane({ clusterName: 'meta', audit: true }),
    startControlPlane({ clusterName: cluster, audit: true }),
  ]);
  try {
    const kc = meta.kubeConfig();
    const objects = makeObjectApi(kc);
    await installCRDs(kc);
    await applyObject(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await applyObject(
      objects,
      {
        apiVersion: API,
        kind: 'BusinessCluster',
        metadata: { name: cluster, namespace },
        spec: { version: 'v1.33.13', etcd: { clusterRef: { name: 'shared' } } },
      } as KubernetesObject,
      { fieldManager: 'test-user' },
    );
    await applyObject(objects, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${cluster}-admin-kubeconfig`, namespace },
      type: 'Opaque',
      data: { value: Buffer.from(business.kubeconfigYaml).toString('base64') },
    } as KubernetesObject);
    await applyStatus(kc, { apiVersion: API, kind: 'BusinessCluster', metadata: { name: cluster, namespace } }, 'businessclusters', {
      phase: 'Running',
      version: 'v1.33.13',
      kubeconfigSecretName: `${cluster}-admin-kubeconfig`,
      conditions: [
        {
          type: 'APIServerAvailable',
          status: 'True',
          reason: 'Available',
          lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      ],
    });
    return {
      meta,
      business,
      kc,
      bkc: business.kubeConfig(),
      audits: [new AuditWrites(meta, 'meta'), new AuditWrites(business, 'business')],
      stop: async () => void (await Promise.all([meta.stop(), business.stop()])),
    };
  } catch (e) {
    await Promise.all([meta.stop(), business.stop()]);
    throw e;
  }
}

export function componentObject(name: string, version: string, dependsOn?: string[]): KubernetesObject {
  return {
    apiVersion: API,
    kind: 'Component',
    metadata: { name },
    spec: { version, ...(dependsOn ? { dependsOn } : {}), steps: { install: { script: `install ${name}` } } },
  } as KubernetesObject;
}

/** A Component with health and repair steps (on kwok machines they are simulated; failures are injected per machine). */
export function componentWithHealth(name: string, version: string): KubernetesObject {
  return {
    apiVersion: API,
    kind: 'Component',
    metadata: { name },
    spec: {
      version,
      steps: {
        install: { script: `install ${name} {{ .version }}` },
        health: { script: `check ${name} {{ .version }} on {{ .machine.name }}`, timeoutSeconds: 10 },
        repair: { script: `restart ${name}`, timeoutSeconds: 30 },
      },
    },
  } as KubernetesObject;
}

/**
 * The kwok provider with step failures the test asks for (fault injection lives in tests): `fail(uid, component,
 * step, version?)` makes that step of that component fail on the Machine with that uid (at that version only, when
 * given), until `clear()`. Keyed by uid, so a replacement Machine of the same name is not affected.
 */
export class FaultyKwok {
  private readonly rules: Array<{ uid: string; component: string; step: StepRequest['step']; version?: string }> = [];
  readonly provider: MachineProvider;

  constructor() {
    const kwok = new KwokProvider();
    const rules = this.rules;
    this.provider = Object.assign(Object.create(kwok) as MachineProvider, {
      async runStep(ctx: Parameters<MachineProvider['runStep']>[0], req: StepRequest) {
        const hit = rules.some(
          (r) =>
            r.uid === ctx.machine.metadata.uid &&
            r.component === req.component &&
            r.step === req.step &&
            (r.version ?? req.version) === req.version,
        );
        return hit
          ? { ok: false, message: `${req.step} of ${req.component} ${req.version} failed (injected by the test)` }
          : kwok.runStep(ctx, req);
      },
    });
  }

  fail(uid: string, component: string, step: StepRequest['step'], version?: string): void {
    this.rules.push({ uid, component, step, version });
  }

  clear(): void {
    this.rules.length = 0;
  }
}
