// A pod's in-cluster API access under the process runner: the kubeconfig written for a container that mounts the
// ServiceAccount volume, and kokpit's loader reading its token file again as the runner rotates it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadKubeConfig } from '../../../src/kube';
import { SERVICE_ACCOUNT_DIR, writeInClusterKubeconfig } from '../../../src/podrunner/in-cluster';

describe('podrunner in-cluster kubeconfig', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-in-cluster-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = { host: '127.0.0.1', port: '6443', namespace: 'kokpit-system', serviceAccount: 'kokpit-manager' };

  it('is written only for a container that mounts the ServiceAccount volume', () => {
    assert.equal(writeInClusterKubeconfig(dir, 'c', [{ mountPath: '/tmp', hostPath: path.join(dir, 'tmp') }], target), undefined);
    const sa = path.join(dir, 'volumes', 'kube-api-access-x');
    const file = writeInClusterKubeconfig(dir, 'manager', [{ mountPath: `${SERVICE_ACCOUNT_DIR}/`, hostPath: sa }], target)!;
    assert.equal(file, path.join(dir, 'in-cluster', 'manager.kubeconfig'));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const doc = parse(fs.readFileSync(file, 'utf8'));
    assert.equal(doc.clusters[0].cluster.server, 'https://127.0.0.1:6443');
    assert.equal(doc.clusters[0].cluster['certificate-authority'], path.join(sa, 'ca.crt'));
    assert.deepEqual(doc.users[0], {
      name: 'system:serviceaccount:kokpit-system:kokpit-manager',
      user: { tokenFile: path.join(sa, 'token') },
    });
    assert.equal(doc.contexts[0].context.namespace, 'kokpit-system');
  });

  it("kokpit's loader sends the token file's current content (client-go's tokenFile, re-read as it rotates)", async () => {
    const sa = path.join(dir, 'sa');
    fs.mkdirSync(sa);
    fs.writeFileSync(path.join(sa, 'token'), 'first-token');
    fs.writeFileSync(path.join(sa, 'ca.crt'), '');
    const file = writeInClusterKubeconfig(dir, 'm', [{ mountPath: SERVICE_ACCOUNT_DIR, hostPath: sa }], target)!;
    const kc = loadKubeConfig({ kubeconfigPath: file });
    const auth = async () => {
      const opts: { headers?: Record<string, string> } = {};
      await kc.applyToHTTPSOptions(opts);
      return opts.headers?.Authorization;
    };
    assert.equal(await auth(), 'Bearer first-token');
    assert.equal(kc.getCurrentUser()?.token, undefined, 'not read once into the config');
    fs.writeFileSync(path.join(sa, 'token'), 'rotated-token');
    // A minute later (client-node re-reads a token file a minute after its last read): `new Date()` moved ahead.
    const RealDate = Date;
    globalThis.Date = class extends RealDate {
      constructor(...a: [number?]) {
        super(a.length ? a[0]! : RealDate.now() + 61_000);
      }
    } as DateConstructor;
    try {
      assert.equal(await auth(), 'Bearer rotated-token');
    } finally {
      globalThis.Date = RealDate;
    }
  });
});
