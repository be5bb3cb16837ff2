// `kokpit up --runtime sandbox --manager in-cluster --with-ocm --with-sample --detach` as a user runs it: the OCM hub
// in the meta cluster and the manager as the pods `kokpit install --with-multicluster` creates (config/with-multicluster),
// run by the sandbox's pod runner. Those pods, not the `kokpit up` process, register the sample: its ManagedCluster
// is written by the multicluster operator's field manager, and `kokpit status` shows it Joined and Available.
// (RBAC of that operator, both ways: test/integration/manager/rbac-multicluster.test.ts.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from '../../../src/controlplane';
import { loadKubeConfig, makeObjectApi, readObject } from '../../../src/kube';
import type { EnvironmentState } from '../../../src/local/state';
import { FIELD_MANAGER, managedClusterName } from '../../../src/operators/multicluster/names';
import { netnsUnavailable } from '../../../src/podrunner/pod-network';
import { mcRef, type MC } from './support';
import { commandLinesUnder, KOKPIT_BIN, runKokpit } from '../../support/kokpit-processes';

const NAME = 'itest-mc-in-cluster';

describe('kokpit up --manager in-cluster --with-ocm (the multicluster operator in the manager pods)', function () {
  this.timeout(600_000);
  let root: string;
  let env: NodeJS.ProcessEnv;
  const kokpit = (...args: string[]) => runKokpit(args, env);

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-mc-in-cluster-'));
    env = { ...process.env, KOKPIT_FROM_SOURCE: '1', KOKPIT_SANDBOX_DIR: root, XDG_CONFIG_HOME: path.join(root, 'config'), KUBECONFIG: '' };
  });
  after(async () => {
    if (fs.existsSync(path.join(root, NAME))) await kokpit('down', '--name', NAME);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the manager pods run the multicluster operator: the sample Joined and Available, registered by them', async () => {
    const t0 = Date.now();
    const up = await kokpit(
      'up',
      '--name',
      NAME,
      '--runtime',
      'sandbox',
      '--manager',
      'in-cluster',
      '--with-ocm',
      '--with-sample',
      '--detach',
    );
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(up.stdout, /✓ OCM hub .*\(\d+\.\ds\)/);
    // With the netns pod network (root here) OCM's admission webhooks run too: the manager's ServiceAccount then needs
    // `update managedclusters/accept` and `create managedclustersets/join` to register the sample (config/multicluster).
    if (!netnsUnavailable()) assert.match(up.stdout, /✓ OCM hub \(.*; admission webhooks\)/);
    assert.match(up.stdout, /✓ manager as 2 pods of kokpit-system\/kokpit-manager .*\(\d+\.\ds\)/);
    const operators = [...commandLinesUnder(root).values()].filter((cmd) => cmd.includes(`${KOKPIT_BIN} operator --leader-elect`));
    assert.equal(operators.length, 2, [...commandLinesUnder(root).values()].join('\n'));
    for (const cmd of operators) assert.match(cmd, /--controllers=etcd,cluster,machine,rollout,multicluster/);

    const status = await waitFor(
      'kokpit status: the sample JOINED True, AVAILABLE True',
      async (st) => {
        const s = await kokpit('status', '--name', NAME);
        st.lastReason = s.stdout.split('\n').slice(-4).join(' | ');
        return /default\s+sample\s+\S+\s+v1\.33\.13\s+.*\s+True\s+True\s/.test(s.stdout) ? s : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 3000 },
    );
    process.stderr.write(`  sample Joined and Available ${((Date.now() - t0) / 1000).toFixed(1)} s after kokpit up started\n`);
    assert.match(status.stdout, /Manager: in the cluster: pod kokpit-system\/kokpit-manager-\S+ .*holds the lease/);

    // Written by the multicluster operator, which runs only in the manager pods here (`kokpit up` runs no manager).
    const state = JSON.parse(fs.readFileSync(path.join(root, NAME, 'environment.json'), 'utf8')) as EnvironmentState;
    assert.equal(state.managerPlacement, 'in-cluster');
    const objects = makeObjectApi(loadKubeConfig({ kubeconfigPath: state.kubeconfig }));
    assert.ok(await readObject<MC>(objects, mcRef(managedClusterName('default', 'sample'))), 'the ManagedCluster');
    // Its ManagedCluster condition on the BusinessCluster, under the multicluster operator's own field manager.
    const bc = await readObject(objects, {
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'BusinessCluster',
      metadata: { name: 'sample', namespace: 'default' },
    });
    assert.ok(
      bc?.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.subresource === 'status'),
      JSON.stringify(bc?.metadata?.managedFields?.map((f) => `${f.manager}/${f.subresource ?? ''}`)),
    );

    const down = await kokpit('down', '--name', NAME);
    assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`);
  });
});
