// The User-Agent kokpit's components send (the API server's audit log tells their writes apart by it; the
// integration side is test/integration/controlplane/audit.test.ts). Here: the parts no harness request reaches.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import { KOKPIT_VERSION, kokpitUserAgent, loadKubeConfig, userAgentOf, withUserAgent } from '../../../src/kube';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: secret-token } }]
contexts: [{ name: ctx, context: { cluster: c, user: u } }]
current-context: ctx
`;

describe('kokpit User-Agent', () => {
  it('carries the version of package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    assert.equal(KOKPIT_VERSION, pkg.version);
    assert.equal(kokpitUserAgent('cluster-operator'), `kokpit-cluster-operator/${pkg.version}`);
  });

  it('withUserAgent copies the kubeconfig and leaves the original alone', () => {
    const kc = loadKubeConfig({ kubeconfigYaml: KUBECONFIG });
    const tagged = withUserAgent(kc, 'kokpit-test/1');
    assert.equal(tagged.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
    assert.equal(tagged.getCurrentUser()?.token, 'secret-token');
    assert.equal(userAgentOf(tagged), 'kokpit-test/1');
    assert.equal(userAgentOf(kc), undefined);
    assert.equal(userAgentOf(loadKubeConfig({ kubeconfigYaml: KUBECONFIG, userAgent: 'kokpit-x/2' })), 'kokpit-x/2');
  });

  it('is set on API requests (with the credentials) and on exec/port-forward connections', async () => {
    const kc = withUserAgent(loadKubeConfig({ kubeconfigYaml: KUBECONFIG }), 'kokpit-test/1');
    const ctx = new RequestContext('https://127.0.0.1:6443/api/v1/nodes', HttpMethod.GET);
    await kc.applySecurityAuthentication(ctx);
    assert.equal(ctx.getHeaders()['User-Agent'], 'kokpit-test/1');
    assert.equal(ctx.getHeaders().Authorization, 'Bearer secret-token');
    const ws: { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(ws);
    assert.deepEqual(ws.headers, { Authorization: 'Bearer secret-token', 'User-Agent': 'kokpit-test/1' });
  });
});
