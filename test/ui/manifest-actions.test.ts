// Where the cursor is (issue 21), in code-server against a real kube-apiserver + etcd: the CodeLens "Diff" above a
// kokpit document opens VS Code's diff editor with the live object beside the server-side dry run, showing the
// changed field; a quick fix turns an invalid document valid (its error squiggle goes). No reconcilers run.
// Screenshots go to $KOKPIT_UI_OUT (default /tmp/kokpit-ui).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { applyObject, makeObjectApi } from '../../src/kube';
import { installCRDs, startControlPlane, type ControlPlane } from '../../src/controlplane';
import { editorSuiteHooks, startEditorSession, type EditorSession } from './support/editor-session';
import { prepareUiRun } from './support/ui-tier';
import { STEP_MS, type Workbench } from './support/workbench';

const log = (line: string) => console.log(`      [ui] ${line}`);

const etcdYaml = (replicasLine: string) =>
  [
    'apiVersion: kokpit.dev/v1alpha1',
    'kind: EtcdCluster',
    'metadata:',
    '  name: team-etcd',
    '  namespace: default',
    'spec:',
    replicasLine,
    '  version: 3.5.35',
    '',
  ].join('\n');

describe('ui: CodeLens Diff and quick fixes in code-server', function () {
  this.timeout(10 * 60_000);
  let cp: ControlPlane | undefined;
  let session: EditorSession | undefined;
  let wb: Workbench;
  let dir: string;

  before(async function () {
    dir = prepareUiRun('kokpit-ui-manifest-');
    cp = await startControlPlane({ log });
    const kc = cp.kubeConfig();
    await installCRDs(kc);
    // The live object: one member. The workspace file asks for three.
    await applyObject(makeObjectApi(kc), {
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'EtcdCluster',
      metadata: { name: 'team-etcd', namespace: 'default' },
      spec: { replicas: 1, version: '3.5.35' },
    } as KubernetesObject);
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace);
    fs.writeFileSync(path.join(workspace, 'team-etcd.yaml'), etcdYaml('  replicas: 3'));
    // "replica" is one letter from a known field: the validator's error offers the rename.
    fs.writeFileSync(path.join(workspace, 'typo-etcd.yaml'), etcdYaml('  replica: 3'));
    session = await startEditorSession({
      dir,
      workspace,
      kubeconfigPath: cp.kubeconfigPath,
      settings: { 'kokpit.reconcilers.autoStart': false },
      log,
    });
    wb = session.wb;
    await wb.page
      .locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: kc.getCurrentContext() })
      .waitFor({ state: 'visible', timeout: 60_000 });
  });

  editorSuiteHooks(() => ({ session, then: [cp], dir }), log);

  it('the Diff CodeLens opens the live object beside the dry run, with the changed field', async () => {
    await wb.openFile('team-etcd.yaml');
    const lens = wb.page.locator('.contentWidgets .codelens-decoration a, .codelens-decoration a', { hasText: /^Diff$/ }).first();
    await lens.waitFor({ state: 'visible', timeout: 60_000 });
    await lens.click();
    const tab = wb.page.locator('.tabs-container .tab.active', { hasText: 'after apply (dry run, changes)' });
    await tab.waitFor({ state: 'visible', timeout: STEP_MS });
    const diff = wb.page.locator('.monaco-diff-editor').first();
    await diff.waitFor({ state: 'visible', timeout: STEP_MS });
    // The live side says 1, the dry run 3, each marked as a changed line.
    await diff.locator('.editor.original .view-line', { hasText: 'replicas: 1' }).waitFor({ timeout: STEP_MS });
    await diff.locator('.editor.modified .view-line', { hasText: 'replicas: 3' }).waitFor({ timeout: STEP_MS });
    assert.ok((await diff.locator('.editor.modified .line-insert, .editor.modified .char-insert').count()) > 0, 'the change is marked');
    await wb.screenshot('codelens-diff');
  });

  it('a quick fix renames the unknown field, and the document turns valid', async () => {
    await wb.openFile('typo-etcd.yaml');
    const editor = wb.page.locator('.editor-instance .monaco-editor').first();
    const squiggle = editor.locator('.squiggly-error');
    await squiggle.first().waitFor({ state: 'visible', timeout: 60_000 });
    // The cursor onto the error (Go to Next Problem), then the quick fix menu.
    await editor.locator('.view-lines').click();
    await wb.page.keyboard.press('Control+Home');
    await wb.page.keyboard.press('F8');
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+.');
    const fix = wb.page
      .locator('.action-widget .monaco-list-row, .context-view .action-item', { hasText: 'Change "replica" to "replicas"' })
      .first();
    await fix.waitFor({ state: 'visible', timeout: STEP_MS });
    await wb.screenshot('quick-fix-menu');
    // The preferred fix is the focused entry (a click is swallowed by the menu's pointer block): Enter applies it.
    await wb.page
      .locator('.action-widget .monaco-list-row.focused', { hasText: 'Change "replica" to "replicas"' })
      .waitFor({ state: 'visible', timeout: STEP_MS });
    await wb.page.keyboard.press('Enter');
    await editor.locator('.view-line', { hasText: 'replicas: 3' }).waitFor({ timeout: STEP_MS });
    await squiggle.first().waitFor({ state: 'detached', timeout: STEP_MS });
    await wb.screenshot('quick-fix-applied');
  });
});
