// Shared pieces of the editor integration tests.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '../../../src/controlplane';

export interface SuiteApiServer {
  cp: ControlPlane;
  kc: KubeConfig;
  core: CoreV1Api;
}

/**
 * For a describe(): a real control plane (etcd + kube-apiserver) started by a before() hook and stopped by an after()
 * hook registered here; the returned object's fields are set once that before() ran. A describe's own before()
 * hooks registered after this call run after it, so they can use them.
 */
export function suiteApiServer(): SuiteApiServer {
  const api = {} as SuiteApiServer;
  before(async () => {
    api.cp = await startControlPlane();
    api.kc = api.cp.kubeConfig();
    api.core = api.kc.makeApiClient(CoreV1Api);
  });
  after(async () => api.cp?.stop());
  return api;
}
