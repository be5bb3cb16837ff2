// The extension in a real VS Code: code-server (from npm) with the packaged .vsix, driven by playwright-core on
// Debian's chromium, against a real control plane (etcd + kube-apiserver + kube-controller-manager from src/controlplane)
// holding kokpit objects. The extension's embedded reconcilers (auto-started on connect) write every status the
// tree shows; the process pod runner runs the etcd member pods, so the EtcdCluster's members are real etcd processes.
// Screenshots of every step go to $KOKPIT_UI_OUT (default /tmp/kokpit-ui).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { kubernetesVersion } from '../../src/catalog';
import { applyObject, makeObjectApi } from '../../src/kube';
import { startPodRunner, type PodRunner } from '../../src/podrunner';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../src/controlplane';
import { startLocalProvisioner } from '../integration/etcd/support';
import { reportFailure, startEditorSession, type EditorSession } from './support/editor-session';
import { startEtcdPodBinder } from './support/etcd-binder';
import { setStatus } from './support/status';
import { prepareUiRun, removeUiRun } from './support/ui-tier';
import { STEP_MS, type Workbench } from './support/workbench';

const ROOT = path.join(__dirname, '..', '..');
const NS = 'fleet';
const GROUP = 'kokpit.dev';
const VERSION = 'v1alpha1';
const INVALID_FIXTURE = 'etcd-even-replicas.yaml';
const NODE = 'ui-node-0';
// Reconcilers, pod runner and three etcd members start after the workbench: give them room on a busy machine.
const RECONCILE_MS = 180_000;

const log = (line: string) => console.log(`      [ui] ${line}`);

const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  observedGeneration: 1,
});

interface Status {
  phase?: string;
  leader?: string;
  endpoint?: string;
  kubeconfigSecretName?: string;
  members?: { name: string; healthy?: boolean; leader?: boolean }[];
  conditions?: { type: string; status: string; reason?: string }[];
}

async function readStatus(kc: KubeConfig, plural: string, name: string): Promise<Status | undefined> {
  const obj = (await kc
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural, name })) as { status?: Status };
  return obj.status;
}

const businessCluster = (version: string) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'BusinessCluster',
  metadata: { name: 'prod', namespace: NS },
  spec: { version, etcd: { clusterRef: { name: 'etcd-a' } } },
});

describe('ui: the Fleet view and editor in code-server', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane | undefined;
  let runner: PodRunner | undefined;
  let provisioner: { stop(): Promise<void> } | undefined;
  let binder: { stop(): Promise<void> } | undefined;
  let kc: KubeConfig;
  let session: EditorSession | undefined;
  let wb: Workbench;
  let dir: string;
  let contextName: string;
  let userDataDir: string;
  let workbenchReady = 0;

  before(async function () {
    dir = prepareUiRun('kokpit-ui-');

    // 1. A real meta cluster with kokpit's CRDs and a small fleet. kube-controller-manager binds the member
    // volumes and turns the rendered Deployments into pods; the pod runner runs the etcd member pods.
    cp = await startControlPlane({ controllers: true, log });
    kc = cp.kubeConfig();
    contextName = kc.getCurrentContext();
    await installCRDs(kc);
    const core = kc.makeApiClient(CoreV1Api);
    // kokpit-system holds the reconcilers' leader lease (as `kokpit up` creates it).
    for (const name of [NS, 'kokpit-system']) await core.createNamespace({ body: { metadata: { name } } });
    const runnerLog = path.join(dir, 'pod-runner.log');
    const appendRunnerLog = (l: string) => fs.appendFileSync(runnerLog, `${new Date().toISOString()} ${l}\n`);
    runner = await startPodRunner({
      kubeConfig: kc,
      nodeName: NODE,
      stateDir: path.join(dir, 'runner'),
      bindUnscheduledPods: false,
      restartBackoff: { initialMs: 500, maxMs: 5000 },
      stopGraceMs: 3000,
      log: appendRunnerLog,
    });
    provisioner = await startLocalProvisioner(kc);
    binder = await startEtcdPodBinder(kc, NS, NODE, appendRunnerLog);
    log(`pod runner for node ${NODE}, log ${runnerLog}`);
    const objects = makeObjectApi(kc);
    // A version catalog, so "Upgrade Business Cluster" has a newer version to offer.
    for (const v of ['v1.33.13', 'v1.34.1']) await applyObject(objects, kubernetesVersion(v) as never);
    await applyObject(objects, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'EtcdCluster',
      metadata: { name: 'etcd-a', namespace: NS },
      spec: { replicas: 3, version: '3.5.35' },
    });
    await applyObject(objects, businessCluster('v1.33.13'));

    // 2. A workspace with a valid and an invalid manifest from testFixture/.
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace);
    fs.copyFileSync(path.join(ROOT, 'testFixture', 'valid', 'etcdcluster.yaml'), path.join(workspace, 'etcdcluster.yaml'));
    fs.copyFileSync(path.join(ROOT, 'testFixture', 'invalid', INVALID_FIXTURE), path.join(workspace, INVALID_FIXTURE));

    // 3. code-server with the packaged extension, pointed at the meta cluster by setting and by KUBECONFIG.
    session = await startEditorSession({
      dir,
      workspace,
      kubeconfigPath: cp.kubeconfigPath,
      // The embedded reconcilers start on connect: they write every status the tree shows.
      settings: { 'kokpit.logLevel': 'debug', 'kokpit.reconcilers.autoStart': true },
      log,
      // Clipboard access lets the test read what "Copy Business Cluster Kubeconfig" wrote.
      browserContext: { permissions: ['clipboard-read', 'clipboard-write'] },
    });
    wb = session.wb;
    userDataDir = session.userDataDir;
    workbenchReady = Date.now();
  });

  after(async function () {
    // The reconcilers live in the extension host: code-server goes first, then what runs the members.
    await session?.stop();
    await binder?.stop().catch(() => undefined);
    await provisioner?.stop().catch(() => undefined);
    await runner?.stop().catch(() => undefined);
    await cp?.stop();
    removeUiRun(dir);
  });

  afterEach(async function () {
    await reportFailure(this.currentTest, session, log);
  });

  /** The reconcilers' status-bar item, once it shows `icon` (a codicon name from reconcilerStatus). */
  const reconcilerItem = async (icon: string, timeout = STEP_MS) => {
    const item = wb.page
      .locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'reconcilers' })
      .filter({ has: wb.page.locator(`.codicon-${icon}`) });
    try {
      await item.first().waitFor({ state: 'visible', timeout });
    } catch {
      const shown = await wb.page
        .locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: 'reconcilers' })
        .first()
        .innerHTML()
        .catch(() => '(no item)');
      throw new Error(`the reconcilers status-bar item did not show $(${icon}) within ${timeout / 1000} s; it shows: ${shown}`);
    }
    return item.first();
  };

  it('the Fleet view shows the meta cluster, its etcd clusters and business clusters with the status the reconcilers write', async () => {
    // The extension activates on startup and connects by itself (kokpit.kubeconfig is set): the status bar says so.
    await wb.page
      .locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: contextName })
      .waitFor({ state: 'visible', timeout: 60_000 });
    log(`status bar showed the connected meta cluster ${Date.now() - workbenchReady} ms after the workbench rendered`);
    // kokpit.reconcilers.autoStart: the embedded reconcilers start on connect and take the lease (nobody else holds it).
    await reconcilerItem('play-circle', 60_000);
    log(`status bar showed the reconcilers running ${Date.now() - workbenchReady} ms after the workbench rendered`);
    const opened = Date.now();
    // The activity bar entry exists once the extension's contributions are registered.
    const container = wb.page.locator('.activitybar .action-item .action-label[aria-label^="Kokpit"]');
    await container.waitFor({ state: 'visible', timeout: 60_000 });
    await container.click();
    // `meta cluster`, then ` · ` and where the manager runs once its lease is read (src/fleet/manager-lease.ts).
    await wb.waitForRow(contextName, /^meta cluster( · .+)?$/, 60_000);
    log(`fleet tree shown ${Date.now() - opened} ms after opening the view`);
    await wb.waitForRow('etcd clusters', /^1$/);
    await wb.waitForRow('Business clusters', /^1$/);
    // The etcd operator bootstraps the members (pods run by the pod runner) and reports them healthy.
    await wb.waitForRow('etcd-a', /^3\/3 · 3\.5\.35 · Running$/, RECONCILE_MS);
    log(`etcd-a shown Running with 3/3 members ${Date.now() - opened} ms after opening the view`);
    const etcd = (await readStatus(kc, 'etcdclusters', 'etcd-a'))!;
    assert.equal(etcd.conditions?.find((c) => c.type === 'Available')?.status, 'True', JSON.stringify(etcd.conditions));
    assert.ok(etcd.leader, 'the etcd operator reports a leader');
    // Once etcd is Available the cluster operator renders the control plane; its pods are not scheduled here, so the
    // business cluster honestly stays Provisioning, waiting for its kube-apiserver.
    await wb.waitForRow('prod', /^Provisioning · v1\.33\.13 · https:\/\/127\.0\.\d+\.\d+:\d+$/, RECONCILE_MS);
    // Status icons: the running etcd cluster is green, the provisioning business cluster spins.
    assert.equal(await wb.treeRow('etcd-a').locator('.codicon-database').count(), 1);
    assert.equal(await wb.treeRow('prod').locator('.codicon-sync.codicon-modifier-spin, .codicon-sync').count(), 1);
    // Members appear when the etcd cluster is expanded: the leader the operator found, the others following.
    await wb.treeRow('etcd-a').click();
    await wb.waitForRow(etcd.leader, /^leader · [\d.]+ (B|KiB|MiB) · 3\.5\.35$/);
    for (const m of ['etcd-a-0', 'etcd-a-1', 'etcd-a-2'].filter((n) => n !== etcd.leader))
      await wb.waitForRow(m, /^follower · [\d.]+ (B|KiB|MiB) · 3\.5\.35$/);
    // The business cluster's children: its components and the condition that holds it back.
    await wb.treeRow('prod').click();
    await wb.waitForRow('kube-apiserver', /^0\/1 · v1\.33\.13$/);
    await wb.waitForRow('APIServerAvailable: APIServerNotReady', /no ready kube-apiserver pod yet/);
    log(`screenshot: ${await wb.screenshot('1-fleet-tree')}`);

    // Activation time as the extension logged it.
    const logFile = findFile(path.join(userDataDir, 'logs'), (f) => /Kokpit\.log$/.test(f));
    assert.ok(logFile, 'the Kokpit log output channel wrote a file');
    const activated = /activated in (\d+) ms \(extension host up (\d+) ms\)/.exec(fs.readFileSync(logFile, 'utf8'));
    assert.ok(activated, 'activation time logged');
    log(`extension activate(): ${activated[1]} ms, with the extension host up for ${activated[2]} ms`);
    // VS Code flushes output-channel log files asynchronously: the tree can render before the line lands.
    let connected: RegExpExecArray | null = null;
    for (const deadline = Date.now() + 15_000; !connected && Date.now() < deadline;) {
      connected = /connected to '.*' in (\d+) ms: (\d+) fleet nodes/.exec(fs.readFileSync(logFile, 'utf8'));
      if (!connected) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(connected, 'connection time logged');
    log(`connect (probe + first list of every kind): ${connected[1]} ms`);
  });

  it("a spec change made through the API shows the reconciler's verdict in the tree without a refresh", async () => {
    const changed = Date.now();
    await applyObject(makeObjectApi(kc), businessCluster('v1.35.0'));
    // The cluster operator refuses a version the catalog doesn't have and says so in CatalogValid.
    await wb.waitForRow('CatalogValid: VersionNotInCatalog', /version v1\.35\.0 is not in the version catalog/);
    await wb.waitForRow('prod', /^Provisioning · v1\.35\.0/);
    log(`reconciler's CatalogValid=False shown ${Date.now() - changed} ms after the spec change`);
    log(`screenshot: ${await wb.screenshot('2-spec-change')}`);
    // Back to a catalog version: the condition clears.
    await applyObject(makeObjectApi(kc), businessCluster('v1.33.13'));
    await wb.treeRow('CatalogValid: VersionNotInCatalog').first().waitFor({ state: 'hidden', timeout: STEP_MS });
    await wb.waitForRow('prod', /^Provisioning · v1\.33\.13 · https:/);
  });

  it(
    'Stop Reconcilers and Start Reconcilers from the palette switch the status bar; a status written while stopped shows, ' +
      'then the reconcilers correct it',
    async () => {
      await wb.runCommand('Kokpit: Stop Reconcilers');
      await reconcilerItem('debug-stop');
      log(`screenshot: ${await wb.screenshot('3-reconcilers-stopped')}`);
      // Nothing reconciles now: a status written through the API stays, and the watches bring it into the tree.
      const changed = Date.now();
      await setStatus(kc, NS, 'businessclusters', 'prod', {
        phase: 'Running',
        endpoint: 'https://127.0.0.1:31443',
        observedGeneration: 1,
        kubeconfigSecretName: 'prod-admin-kubeconfig',
        components: [{ name: 'kube-apiserver', replicas: 1, readyReplicas: 1, version: 'v1.33.13' }],
        conditions: [condition('Ready', 'True', 'ControlPlaneReady', 'all components ready')],
      });
      const row = await wb.waitForRow('prod', /^Running · v1\.33\.13 · https:\/\/127\.0\.0\.1:31443$/);
      log(`status change shown ${Date.now() - changed} ms after the API write`);
      assert.equal(await row.locator('.codicon-server-environment').count(), 1, 'a ready business cluster shows its kind icon, coloured');
      log(`screenshot: ${await wb.screenshot('4-status-change')}`);

      await wb.runCommand('Kokpit: Start Reconcilers');
      await reconcilerItem('play-circle');
      // The cluster operator reads the world again: no ready apiserver, so a cluster that was Running is Degraded.
      await wb.waitForRow('prod', /^Degraded · v1\.33\.13 · https:\/\/127\.0\.\d+\.\d+:\d+$/, 60_000);
      assert.notEqual((await readStatus(kc, 'businessclusters', 'prod'))?.endpoint, 'https://127.0.0.1:31443', 'the real endpoint is back');
      log(`screenshot: ${await wb.screenshot('5-reconcilers-restarted')}`);
    },
  );

  it('palette commands run: Open YAML picks a fleet object and shows it; Validate Workspace reports', async () => {
    await wb.runCommand('Kokpit: Open YAML');
    await wb.pick('prod');
    await wb.page.locator('.tabs-container .tab.active', { hasText: 'prod.yaml' }).waitFor({ state: 'visible', timeout: STEP_MS });
    await wb.page
      .locator('.editor-instance .view-lines', { hasText: 'kind: BusinessCluster' })
      .waitFor({ state: 'visible', timeout: STEP_MS });
    // What the reconcilers wrote comes with it (the editor renders only the lines in view: the top of the file):
    // the cluster operator's finalizer for its keys in the shared etcd, and the component status.
    await wb.page
      .locator('.editor-instance .view-lines', { hasText: 'kokpit.dev/etcd-prefix-cleanup' })
      .waitFor({ state: 'visible', timeout: STEP_MS });
    await wb.page
      .locator('.editor-instance .view-lines', { hasText: 'name: kube-apiserver' })
      .waitFor({ state: 'visible', timeout: STEP_MS });
    log(`screenshot: ${await wb.screenshot('6-open-yaml')}`);

    await wb.runCommand('Kokpit: Validate Workspace Manifests');
    await wb.notification(/1 error and 0 warnings in 1 file of 2 manifest files/).waitFor({ state: 'visible', timeout: STEP_MS });
    log(`screenshot: ${await wb.screenshot('7-validate-workspace')}`);
  });

  /** The admin kubeconfig the cluster operator wrote to its Secret (read by the test, never printed). */
  const adminKubeconfig = async () => {
    const secretName = (await readStatus(kc, 'businessclusters', 'prod'))?.kubeconfigSecretName;
    assert.equal(secretName, 'prod-admin-kubeconfig', 'the cluster operator names the Secret in status');
    const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: NS, name: secretName });
    const text = Buffer.from(secret.data?.value ?? '', 'base64').toString('utf8');
    const key = /client-key-data: (\S+)/.exec(text)?.[1];
    assert.ok(key, 'the admin kubeconfig carries a client key');
    return { text, key };
  };

  it('copies a business cluster kubeconfig (the Secret the cluster operator wrote) to the clipboard, and never logs it', async () => {
    const { text, key } = await adminKubeconfig();
    await wb.runCommand('Kokpit: Copy Business Cluster Kubeconfig');
    await wb.pick('prod');
    await wb.notification('kubeconfig of prod copied to the clipboard').waitFor({ state: 'visible', timeout: STEP_MS });
    assert.ok((await wb.page.evaluate(() => navigator.clipboard.readText())) === text, "the clipboard holds the Secret's kubeconfig");
    const logFile = findFile(path.join(userDataDir, 'logs'), (f) => /Kokpit\.log$/.test(f))!;
    const logged = fs.readFileSync(logFile, 'utf8');
    assert.match(logged, /copied the kubeconfig of fleet\/prod \(Secret prod-admin-kubeconfig\)/);
    assert.ok(!logged.includes(key), 'the client key is not in the Kokpit log');
    assert.ok(!fs.readFileSync(session!.server.logFile, 'utf8').includes(key), 'the client key is not in the code-server log');
    log(`screenshot: ${await wb.screenshot('8-copy-kubeconfig')}`);
  });

  it('opens a terminal with KUBECONFIG pointing at a 0600 copy of the business cluster kubeconfig', async () => {
    const { text, key } = await adminKubeconfig();
    await wb.runCommand('Kokpit: Open Terminal with Business Cluster Kubeconfig');
    await wb.pick('prod');
    await wb.page.locator('.terminal-wrapper, .xterm').first().waitFor({ state: 'visible', timeout: STEP_MS });
    await wb.page.locator('.part.panel', { hasText: 'kokpit: fleet/prod' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
    const logFile = findFile(path.join(userDataDir, 'logs'), (f) => /Kokpit\.log$/.test(f))!;
    // Output-channel files are flushed asynchronously: wait for the line naming the file (a path, not the content).
    const file = await waitFor(
      'the Kokpit log names the terminal kubeconfig file',
      async () =>
        /opened a terminal for business cluster fleet\/prod \(kubeconfig from Secret prod-admin-kubeconfig in (\S+), mode 0600\)/.exec(
          fs.readFileSync(logFile, 'utf8'),
        )?.[1],
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const mode = fs.statSync(file).mode & 0o777;
    assert.equal(mode.toString(8), '600', `${file} is readable by its owner only`);
    assert.equal((fs.statSync(path.dirname(file)).mode & 0o777).toString(8), '700', 'its directory too');
    assert.ok(fs.readFileSync(file, 'utf8') === text, "the file holds the Secret's kubeconfig");
    assert.ok(!fs.readFileSync(logFile, 'utf8').includes(key), 'the client key is not in the Kokpit log');
    log(`terminal kubeconfig ${file}: mode ${mode.toString(8)}`);
    log(`screenshot: ${await wb.screenshot('9-open-terminal')}`);
    // Closing the terminal removes the file and its directory.
    await wb.runCommand('Terminal: Kill the Active Terminal Instance');
    await waitFor(
      'the terminal kubeconfig removed when its terminal closed',
      async () => (fs.existsSync(path.dirname(file)) ? undefined : true),
      { timeoutMs: STEP_MS, intervalMs: 200 },
    );
  });

  it("copies a business cluster's endpoint, and upgrades it through the quick pick of newer catalog versions", async () => {
    const endpoint = (await readStatus(kc, 'businessclusters', 'prod'))?.endpoint;
    assert.match(endpoint ?? '', /^https:\/\/127\.0\.\d+\.\d+:\d+$/, 'the cluster operator wrote the NodePort endpoint');
    await wb.runCommand('Kokpit: Copy API Server Endpoint');
    await wb.pick('prod');
    await wb.notification(`${endpoint} copied to the clipboard`).waitFor({ state: 'visible', timeout: STEP_MS });
    assert.equal(await wb.page.evaluate(() => navigator.clipboard.readText()), endpoint);

    await wb.runCommand('Kokpit: Upgrade Business Cluster');
    await wb.pick('prod');
    // Only versions newer than v1.33.13 are offered.
    const entries = wb.page.locator('.quick-input-widget .monaco-list-row');
    await entries.filter({ hasText: 'v1.34.1' }).first().waitFor({ state: 'visible', timeout: STEP_MS });
    // The quick input recycles rows of the object pick: only the visible ones are the offer.
    const offered = (await entries.filter({ visible: true }).allTextContents()).map((t) => t.trim());
    assert.equal(offered.length, 1, `only versions newer than the current v1.33.13: ${JSON.stringify(offered)}`);
    assert.match(offered[0], /^v1\.34\.1\s*Supported · next minor/);
    log(`screenshot: ${await wb.screenshot('10-upgrade-pick')}`);
    await wb.pick('v1.34.1');
    await wb.notification('upgrading fleet/prod to v1.34.1').waitFor({ state: 'visible', timeout: STEP_MS });
    const stored = (await kc
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NS, plural: 'businessclusters', name: 'prod' })) as {
      spec: { version: string };
    };
    assert.equal(stored.spec.version, 'v1.34.1');
  });

  it('an invalid CR file shows its diagnostic in the Problems panel', async () => {
    const expectations = JSON.parse(fs.readFileSync(path.join(ROOT, 'testFixture', 'invalid', 'expectations.json'), 'utf8')) as {
      files: { file: string; diagnostics: { line: number; column: number; message: string }[] }[];
    };
    const expected = expectations.files.find((f) => f.file === INVALID_FIXTURE)!.diagnostics[0];
    await wb.openFile(INVALID_FIXTURE);
    await wb.runCommand('Problems: Focus on Problems View');
    const problem = wb.page.locator('.markers-panel .monaco-list-row', { hasText: expected.message }).first();
    await problem.waitFor({ state: 'visible', timeout: STEP_MS });
    const text = (await problem.textContent()) ?? '';
    assert.match(text, /kokpit/, 'the diagnostic comes from kokpit');
    assert.match(text, new RegExp(`\\[Ln ${expected.line}, Col ${expected.column}\\]`), `at ${expected.line}:${expected.column}: ${text}`);
    // The squiggle is in the editor too.
    await wb.page.locator('.editor-instance .squiggly-error').first().waitFor({ state: 'attached', timeout: STEP_MS });
    log(`screenshot: ${await wb.screenshot('11-problems')}`);
  });

  it('"Kokpit: Apply Current File" on a valid fixture creates the object, and the tree shows it', async () => {
    await wb.openFile('etcdcluster.yaml');
    await wb.runCommand('Kokpit: Apply Current File');
    await wb.notification(`applied EtcdCluster default/shared-etcd to ${contextName}`).waitFor({ state: 'visible', timeout: STEP_MS });
    // Server-side applied by kokpit's field manager.
    const stored = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'default',
      plural: 'etcdclusters',
      name: 'shared-etcd',
    })) as {
      metadata: { managedFields?: { manager: string; operation: string }[] };
    };
    assert.ok(
      stored.metadata.managedFields?.some((f) => f.manager === 'kokpit' && f.operation === 'Apply'),
      JSON.stringify(stored.metadata.managedFields),
    );
    // The watches bring it into the tree (still in the sidebar) without a refresh.
    await wb.waitForRow('etcd clusters', /^2$/);
    await wb.treeRow('shared-etcd').first().waitFor({ state: 'visible', timeout: STEP_MS });
    log(`screenshot: ${await wb.screenshot('12-apply-current-file')}`);
  });
});

function findFile(root: string, match: (file: string) => boolean): string | undefined {
  if (!fs.existsSync(root)) return undefined;
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(p, match);
      if (found) return found;
    } else if (match(p)) return p;
  }
  return undefined;
}
