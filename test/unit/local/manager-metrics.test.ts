// `kokpit metrics` for a manager pod (src/local/manager-metrics.ts): where the pod serves /metrics, read from the
// arguments config/manager gives it, and which token is sent — --token-file, else the caller's own bearer token.
// (The TokenRequest paths and the pod IP read run on a real API server in test/integration/manager/in-cluster.test.ts.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig, type V1Pod, type V1PodSpec } from '@kubernetes/client-node';
import { MANAGER_DEPLOYMENT, renderInstall } from '../../../src/local/install';
import { metricsTargetOf, metricsToken } from '../../../src/local/manager-metrics';

function managerPod(podIP = '10.244.0.7'): V1Pod {
  const d = renderInstall().find((o) => o.kind === 'Deployment' && o.metadata?.name === MANAGER_DEPLOYMENT) as unknown as {
    spec: { template: { spec: V1PodSpec } };
  };
  return { metadata: { name: 'kokpit-manager-1', namespace: 'kokpit-system' }, spec: d.spec.template.spec, status: { podIP } };
}

function kubeconfig(user: Record<string, string>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'meta', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
    users: [{ name: 'me', ...user }],
    contexts: [{ name: 'meta', cluster: 'meta', user: 'me' }],
    currentContext: 'meta',
  });
  return kc;
}

describe('kokpit metrics: the manager pod to read and the token to send', () => {
  it("config/manager's pod: HTTPS on 8443 (--metrics-bind-address=:8443 --metrics-secure), at its pod IP", () => {
    assert.deepEqual(metricsTargetOf(managerPod()), {
      pod: 'kokpit-manager-1',
      namespace: 'kokpit-system',
      podIP: '10.244.0.7',
      port: 8443,
      secure: true,
    });
  });

  it('a manager serving no metrics is named, not dialled', () => {
    const pod = managerPod();
    pod.spec!.containers[0].args = ['operator', '--leader-elect', '--metrics-bind-address=0'];
    assert.throws(() => metricsTargetOf(pod), /^Error: pod kokpit-system\/kokpit-manager-1 serves no metrics/);
  });

  it('--token-file first, else the kubeconfig user’s own bearer token', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-metrics-token-')), 'token');
    fs.writeFileSync(file, 'from-file\n');
    const withToken = kubeconfig({ token: 'own-token' });
    assert.deepEqual(await metricsToken(withToken, { tokenFile: file }), { token: 'from-file', who: `the token in ${file}` });
    assert.deepEqual(await metricsToken(withToken, {}), { token: 'own-token', who: 'your kubeconfig user me' });
  });
});
