// `kokpit up --runtime sandbox --manager in-cluster --with-sample --detach` as a user runs it (node bin/kokpit.js,
// from the sources): the manager is the two pods `kokpit install` creates, run by the sandbox's pod runner as
// `kokpit operator` processes; they bring the sample to Ready with its kwok Machines; `kokpit status` names the
// pod that holds the lease; `kokpit down` stops them with everything else.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EnvironmentState } from '../../../src/local/state';
import { netnsUnavailable } from '../../../src/podrunner/pod-network';
import { commandLinesUnder, KOKPIT_BIN, runKokpit } from '../../support/kokpit-processes';

const NAME = 'itest-in-cluster';

describe('kokpit up --runtime sandbox --manager in-cluster (the manager as pods of the meta cluster)', function () {
  this.timeout(600_000);
  let root: string;
  let env: NodeJS.ProcessEnv;
  const kokpit = (...args: string[]) => runKokpit(args, env);

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-up-in-cluster-'));
    env = { ...process.env, KOKPIT_FROM_SOURCE: '1', KOKPIT_SANDBOX_DIR: root, XDG_CONFIG_HOME: path.join(root, 'config'), KUBECONFIG: '' };
  });
  after(async () => {
    if (fs.existsSync(path.join(root, NAME))) await kokpit('down', '--name', NAME);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('two manager pods run `kokpit operator`; the leader brings the sample to Ready; status names it; down stops them', async () => {
    const up = await kokpit('up', '--name', NAME, '--runtime', 'sandbox', '--manager', 'in-cluster', '--with-sample', '--detach');
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(up.stdout, /✓ manager as 2 pods of kokpit-system\/kokpit-manager .*\(\d+\.\ds\)/);
    assert.match(up.stdout, /✓ Ready \(\+\d+\.\ds\)/);
    assert.match(up.stdout, /✓ sample-worker-0 Running as Node/);
    assert.match(up.stdout, /✓ sample-worker-1 Running as Node/);
    // …and up returns once the addons run on them (the sample Running, not Degraded while CoreDNS starts).
    assert.match(up.stdout, /✓ addons available on the nodes \(\+\d+\.\ds\)/);
    const state = JSON.parse(fs.readFileSync(path.join(root, NAME, 'environment.json'), 'utf8')) as EnvironmentState;
    assert.equal(state.managerPlacement, 'in-cluster');
    assert.match(state.managerIdentity, /^kokpit-manager-[a-z0-9]+-[a-z0-9]+$/, 'the leader is a pod');
    assert.match(up.stdout, new RegExp(`manager {7}2 pods of kokpit-system/kokpit-manager .*${state.managerIdentity} leading`));

    // The pods' containers: this kokpit's `operator`, bound to their pod addresses (not the host's ports).
    const operators = [...commandLinesUnder(root)].filter(([, cmd]) => cmd.includes(`${KOKPIT_BIN} operator --leader-elect`));
    assert.equal(operators.length, 2, [...commandLinesUnder(root).values()].join('\n'));
    // Root here: the netns pod network (auto), so the manager pods reach the API server and the business apiservers'
    // NodePorts through the runner's relay, from 198.18.x addresses.
    assert.equal(state.podNetwork, netnsUnavailable() ? 'loopback' : 'netns');
    const podIP = state.podNetwork === 'netns' ? /198\.18\.\d+\.\d+/ : /127\.\d+\.\d+\.\d+/;
    for (const [, cmd] of operators) assert.match(cmd, new RegExp(`--health-probe-bind-address=${podIP.source}:8081`));

    const status = await kokpit('status', '--name', NAME);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /Manager: in the cluster: pod kokpit-system\/kokpit-manager-\S+ \(Running on itest-in-cluster-meta-node\) holds the lease kokpit-system\/kokpit-manager/,
    );
    assert.match(status.stdout, /default\s+sample\s+Running\s+v1\.33\.13\s+https:\/\/127\.\d+\.\d+\.\d+:\d+\s+1\/1 healthy\s+2\/2 running/);

    const down = await kokpit('down', '--name', NAME);
    assert.equal(down.code, 0, `${down.stdout}\n${down.stderr}`);
    const left = operators.filter(([pid]) => commandLinesUnder(root).has(pid));
    assert.deepEqual(left, [], 'the manager pods stopped with the environment');
  });
});
