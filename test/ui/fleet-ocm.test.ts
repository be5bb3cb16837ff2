// The Fleet view's Open Cluster Management nodes (issue 18) in a real VS Code: code-server with the packaged .vsix,
// driven by playwright-core on Debian's chromium, against the multicluster tests' environment
// (test/integration/multicluster/support.ts): a real meta control plane, two business clusters whose kube-apiserver,
// controller-manager and scheduler the pod runner runs, the real OCM v1.0.0 hub (registration, placement, work) and a
// hosted agent per cluster, with kokpit's cluster and multicluster operators in this process. Nothing here writes an
// OCM status: what the tree shows is what OCM wrote.
// - each business cluster shows its ManagedCluster Joined and Available with its lease;
// - `kokpit deploy` of a file with env=dev (a Placement and a ManifestWorkReplicaSet, as "Deploy to Clusters…" builds):
//   the ManifestWork shows under the dev cluster only, each manifest with its conditions and the Deployment's status
//   feedback (WellKnownStatus) from the business cluster;
// - the Placements group lists the Placement with its decision: the dev cluster, not the prod one.
// The editor's embedded reconcilers are off (the operators of this process reconcile). Screenshots go to
// $KOKPIT_UI_OUT (default /tmp/kokpit-ui).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { ensureBinaries } from '../../src/binaries/build';
import { OCM_COMPONENTS, OCM_VERSION } from '../../src/binaries/catalog';
import { runCli } from '../../src/cli/main';
import { ensureNamespace } from '../integration/cluster/support';
import { startMulticlusterEnv, webAppManifests, type MulticlusterEnv } from '../integration/multicluster/support';
import { editorSuiteHooks, startEditorSession, type EditorSession } from './support/editor-session';
import { prepareUiRun } from './support/ui-tier';
import { type Workbench } from './support/workbench';

const NS = 'fleet';
const HUB_NS = 'apps';
const DEV = 'dev-1';
const PROD = 'prod-1';
const DEPLOY_FILE = 'web-app.yaml';
const WORK = 'web-app';
const FILE = webAppManifests('web');
// OCM's work agent applies, then reports status every few seconds, and the Deployment's replicas come from the
// business cluster's controller-manager: minutes on a loaded machine.
const OCM_MS = 300_000;
// OCM's five binaries from a cold Go cache (`npm run setup:bins` builds them only on demand): ~13 min of CPU on 2 cores.
const OCM_BUILD_MS = 20 * 60_000;

const log = (line: string) => console.log(`      [ui] ${line}`);

/** The labels of the sidebar's rows, top to bottom. */
const rowLabels = async (wb: Workbench) =>
  (await wb.page.locator('#workbench\\.parts\\.sidebar .monaco-list-row .label-name').allTextContents()).map((t) => t.trim());

/** Opens or closes a tree row (a click toggles it) unless it is so already. */
async function toggle(wb: Workbench, label: string, open: boolean): Promise<void> {
  const row = wb.treeRow(label).first();
  await row.waitFor({ state: 'visible', timeout: OCM_MS });
  if (((await row.getAttribute('aria-expanded')) === 'true') !== open) await row.click();
}

describe('ui: the Fleet view shows OCM (ManagedClusters, works, placements) from a real hub in code-server', function () {
  this.timeout(20 * 60_000);
  let env: MulticlusterEnv | undefined;
  let session: EditorSession | undefined;
  let wb: Workbench;
  let dir: string;

  before(async function () {
    // The hub's and agents' binaries first (nothing to do when built), so `npm run test:ui` alone works from an empty
    // cache; then the suite's own budget again (this.timeout restarts the hook's timer) for everything else.
    this.timeout(OCM_BUILD_MS);
    await ensureBinaries({ components: [...OCM_COMPONENTS], versions: [OCM_VERSION], onProgress: (l) => log(`[setup:bins] ${l}`) });
    this.timeout(20 * 60_000);
    dir = prepareUiRun('kokpit-ui-ocm-');
    env = await startMulticlusterEnv({
      namespace: NS,
      clusters: [
        { name: DEV, labels: { env: 'dev' }, multicluster: { leaseDurationSeconds: 20 } },
        { name: PROD, labels: { env: 'prod' }, multicluster: { leaseDurationSeconds: 20 } },
      ],
      steadyMs: 30_000,
    });
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace);
    fs.writeFileSync(path.join(workspace, DEPLOY_FILE), FILE);
    // The editor starts while the clusters register; both must be done before the first test.
    const [started, available] = await Promise.allSettled([
      startEditorSession({
        dir,
        workspace,
        kubeconfigPath: env.cp.kubeconfigPath,
        // This process's operators reconcile; the editor only shows.
        settings: { 'kokpit.reconcilers.autoStart': false },
        log,
      }).then((s) => (session = s)),
      env.waitAvailable([DEV, PROD]),
    ]);
    for (const r of [started, available]) if (r.status === 'rejected') throw r.reason;
    log(`both ManagedClusters Joined and Available ${env.elapsed().toFixed(0)} s after the start`);
    wb = session!.wb;
    const container = wb.page.locator('.activitybar .action-item .action-label[aria-label^="Kokpit"]');
    await container.waitFor({ state: 'visible', timeout: 60_000 });
    await container.click();
    await wb.widenSidebar(240);
  });

  editorSuiteHooks(() => ({ session, then: [env], dir }), log);

  it('each business cluster shows its ManagedCluster Joined and Available, with its lease', async () => {
    for (const c of [DEV, PROD]) {
      await toggle(wb, c, true);
      await wb.waitForRow(`ManagedCluster ${NS}-${c}`, /^Joined · Available · lease 20s$/, OCM_MS);
    }
    log(`screenshot: ${await wb.sidebarScreenshot('fleet-ocm-1-managed-clusters')}`);
  });

  it('a work placed by env=dev shows under the dev cluster only, each manifest with its conditions and status feedback', async () => {
    await ensureNamespace(env!.kc, HUB_NS);
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), progress: () => {}, isTTY: false, cwd: dir };
    const file = path.join(dir, 'workspace', DEPLOY_FILE);
    const code = await runCli(['deploy', file, '--selector', 'env=dev', '-n', HUB_NS, '--kubeconfig', env!.cp.kubeconfigPath], io);
    assert.equal(code, 0, out.join('\n'));
    const t = Date.now();

    const work = `ManifestWork ${WORK}`;
    await wb.waitForRow(work, /^Applied · Available · 3 manifests$/, OCM_MS);
    log(`the work Applied and Available in the tree ${((Date.now() - t) / 1000).toFixed(1)} s after kokpit deploy`);
    await toggle(wb, work, true);
    await wb.waitForRow('Namespace web', /^Applied · Available$/, OCM_MS);
    await wb.waitForRow('ConfigMap web/settings', /^Applied · Available$/, OCM_MS);
    // Fed back from the business cluster: its controller-manager made the ReplicaSet's two pods (no node runs them).
    await wb.waitForRow('Deployment web/web', /^Applied · Available · .*\bReplicas=2\b/, OCM_MS);

    // Under the dev cluster, after its ManagedCluster; the prod cluster (open since the first test) has none.
    const labels = await rowLabels(wb);
    assert.equal(labels.filter((l) => l === work).length, 1, `one work row: ${JSON.stringify(labels)}`);
    const at = (l: string) => labels.indexOf(l);
    assert.ok(
      at(DEV) < at(`ManagedCluster ${NS}-${DEV}`) && at(`ManagedCluster ${NS}-${DEV}`) < at(work) && at(work) < at(PROD),
      `the work under ${DEV}: ${JSON.stringify(labels)}`,
    );
    log(`screenshot: ${await wb.sidebarScreenshot('fleet-ocm-2-work')}`);
  });

  it('the Placements group lists the placement with its decision: the dev cluster, not the prod one', async () => {
    // The clusters closed, so the list (which renders only the rows in its window) has room for the placements.
    for (const c of [DEV, PROD]) await toggle(wb, c, false);
    await toggle(wb, 'Placements', true);
    await wb.waitForRow(WORK, /^apps · 1 selected · Satisfied$/, OCM_MS);
    await toggle(wb, WORK, true);
    // A decision's description is OCM's reason, empty here.
    await wb.treeRow(`${NS}-${DEV}`).first().waitFor({ state: 'visible', timeout: OCM_MS });
    const labels = await rowLabels(wb);
    assert.ok(!labels.includes(`${NS}-${PROD}`), `no decision for ${PROD}: ${JSON.stringify(labels)}`);
    assert.ok(labels.indexOf(`${NS}-${DEV}`) > labels.indexOf('Placements'), JSON.stringify(labels));
    log(`screenshot: ${await wb.sidebarScreenshot('fleet-ocm-3-placements')}`);
  });

  it('relabelling moves the work and the decision to the other cluster, in the open tree without a Refresh', async () => {
    const t = Date.now();
    for (const [name, label] of [
      [DEV, 'prod'],
      [PROD, 'dev'],
    ])
      await env!.objects().patch(
        {
          apiVersion: 'kokpit.dev/v1alpha1',
          kind: 'BusinessCluster',
          metadata: { name, namespace: NS, labels: { env: label } },
        } as KubernetesObject,
        undefined,
        undefined,
        'kokpit-test',
        undefined,
        PatchStrategy.MergePatch,
      );
    const work = `ManifestWork ${WORK}`;
    for (const c of [DEV, PROD]) await toggle(wb, c, true);
    // The placement (open since the last test) names the prod cluster now, and only it.
    await wb.treeRow(`${NS}-${PROD}`).first().waitFor({ state: 'visible', timeout: OCM_MS });
    await wb.treeRow(`${NS}-${DEV}`).first().waitFor({ state: 'detached', timeout: OCM_MS });
    // One work row, under the prod cluster: the new one is a new node, opened as a user would once it has manifests.
    await wb.page.waitForFunction(
      ([labels, w, prod]) => {
        const shown = Array.from(document.querySelectorAll(labels)).map((e) => e.textContent?.trim());
        return shown.filter((l) => l === w).length === 1 && shown.indexOf(w) > shown.indexOf(prod);
      },
      ['#workbench\\.parts\\.sidebar .monaco-list-row .label-name', work, PROD] as const,
      { timeout: OCM_MS },
    );
    await wb.waitForRow(work, /^Applied · Available · 3 manifests$/, OCM_MS);
    log(`the work under ${PROD} ${((Date.now() - t) / 1000).toFixed(1)} s after the relabel`);
    await toggle(wb, work, true);
    await wb.waitForRow('Deployment web/web', /^Applied · Available · .*\bReplicas=2\b/, OCM_MS);
    const labels = await rowLabels(wb);
    const at = (l: string) => labels.indexOf(l);
    assert.ok(
      at(DEV) < at(PROD) && at(PROD) < at(`ManagedCluster ${NS}-${PROD}`) && at(`ManagedCluster ${NS}-${PROD}`) < at(work),
      `the work under ${PROD}: ${JSON.stringify(labels)}`,
    );
    assert.ok(at(work) < at('Deployment web/web') && at('Deployment web/web') < at('Placements'), JSON.stringify(labels));
    log(`screenshot: ${await wb.sidebarScreenshot('fleet-ocm-4-relabelled')}`);
    log(`screenshot: ${await wb.screenshot('fleet-ocm-5-window')}`);
  });
});
