// The manifest actions where the cursor is, through the fake vscode: the CodeLens provider's lenses (commands and
// arguments per document) and the quick-fix provider's code actions (a plain edit, a preferred one, a snippet).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { planDocument, RefusedError } from '../../../src/extension/model/apply-plan';
import {
  documentOfRenderPreviewPath,
  renderPreviewPath,
  renderPreviewText,
  sourceOfRenderPreviewPath,
} from '../../../src/extension/model/render-preview';
import { applyEdit, snippetText } from '../../../src/language/quick-fixes';
import { validateText } from '../../../src/validation';
import { fake, fakeContext, installFakeVscode, Position, Range, type FakeState, type FakeTextDocument } from './fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const HEAD = 'apiVersion: kokpit.dev/v1alpha1\n';
const TWO = `${HEAD}kind: EtcdCluster\nmetadata:\n  name: etcd\nspec:\n  replicas: 2\n---\n${HEAD}kind: Machine\nmetadata:\n  name: m\n`;

describe('extension: CodeLens and quick fixes (fake vscode)', function () {
  this.timeout(30_000);
  let extension: { activate(c: unknown): void; deactivate(): void };
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;

  before(() => {
    installFakeVscode();
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts'));
  });
  beforeEach(() => {
    state = fake.reset();
    context = fakeContext();
    extension.activate(context);
  });
  afterEach(() => {
    for (const d of context.subscriptions) d.dispose();
    extension.deactivate();
  });

  const actionsAt = (doc: FakeTextDocument, line: number, character: number) =>
    state.codeActionProviders[0].provider.provideCodeActions(doc, new Range(new Position(line, character), new Position(line, character)));

  it('Apply, Diff and Render above each kokpit document, each with the file and that document’s index', () => {
    const doc = fake.openDocument('/w/fleet.yaml', TWO);
    const lenses = state.codeLensProviders[0].provider.provideCodeLenses(doc);
    assert.deepEqual(
      lenses.map((l: any) => [l.range.start.line, l.command.title, l.command.command, l.command.arguments[1]]),
      [
        [0, 'Apply', 'kokpit.applyCurrentFile', 0],
        [0, 'Diff', 'kokpit.diffDocument', 0],
        [0, 'Render', 'kokpit.renderPreview', 0],
        // A Machine renders nothing: no Render lens.
        [7, 'Apply', 'kokpit.applyCurrentFile', 1],
        [7, 'Diff', 'kokpit.diffDocument', 1],
      ],
    );
    assert.equal(lenses[0].command.arguments[0], doc.uri);
    assert.deepEqual(state.codeLensProviders[0].provider.provideCodeLenses(fake.openDocument('/w/cm.yaml', 'kind: ConfigMap\n')), []);
  });

  it('quick fixes at the even replicas: 3 (preferred) and 1, as plain edits of that value', () => {
    const doc = fake.openDocument('/w/fleet.yaml', TWO);
    const actions = actionsAt(doc, 5, 12);
    assert.deepEqual(
      actions.map((a: any) => [a.title, a.kind, a.isPreferred, a.diagnostics[0].code, a.edit.edits[0].newText]),
      [
        ['Use 3 etcd members', 'quickfix', true, 'even-replicas', '3'],
        ['Use 1 etcd member', 'quickfix', false, 'even-replicas', '1'],
      ],
    );
    const { range } = actions[0].edit.edits[0];
    assert.deepEqual([range.start.line, range.start.character, range.end.character], [5, 12, 13]);
    assert.deepEqual(actionsAt(doc, 3, 2), [], 'no fix away from a finding');
  });

  it('a missing required field: a snippet edit that makes the document valid', () => {
    const text = `${HEAD}kind: BusinessCluster\nmetadata:\n  name: p\nspec:\n  etcd:\n    managed:\n      replicas: 3\n`;
    const doc = fake.openDocument('/w/bc.yaml', text);
    const [action] = actionsAt(doc, 4, 1); // the finding is on the key "spec"
    assert.equal(action.title, 'Add the required field "version"');
    const [edit] = action.edit.edits;
    assert.match(edit.snippet, /^ {2}version: \$\{1:v1\.\d+\.\d+\}\n$/);
    const offset = doc.offsetAt(edit.range.start);
    assert.deepEqual(validateText(applyEdit(text, { offset, endOffset: offset, newText: snippetText(edit.snippet) })), []);
  });
});

describe('one document of a file: Apply and Render by index', () => {
  const ETCD = (name: string, replicas: number) =>
    `${HEAD}kind: EtcdCluster\nmetadata:\n  name: ${name}\n  namespace: fleet\nspec:\n  replicas: ${replicas}\n  version: 3.5.35\n`;
  const FILE = [ETCD('bad', 2), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n', ETCD('good', 3)].join('---\n');

  it("planDocument: only that document's errors refuse it; a document that is not kokpit's is refused", () => {
    assert.deepEqual(planDocument(FILE, 'f.yaml', 2).metadata, { name: 'good', namespace: 'fleet' });
    assert.throws(
      () => planDocument(FILE, 'f.yaml', 0),
      (e: Error) => e instanceof RefusedError && /^f\.yaml:7:13: .*even number/.test(e.message),
    );
    assert.throws(() => planDocument(FILE, 'f.yaml', 1), /document 2 is not a kokpit document/);
  });

  it('the render preview of one document renders it alone, despite errors in another', () => {
    const one = renderPreviewText(FILE, 'f.yaml', {}, 2);
    assert.match(one, /^# Rendered offline from f\.yaml \(document 3\)/);
    assert.match(one, /# EtcdCluster fleet\/good: \d+ objects/);
    assert.doesNotMatch(one, /bad/);
    assert.match(renderPreviewText(FILE, 'f.yaml'), /# Not rendered: f\.yaml has 1 error/);
    const path = renderPreviewPath('file:///w/a;b.yaml', 2);
    assert.deepEqual([sourceOfRenderPreviewPath(path), documentOfRenderPreviewPath(path)], ['file:///w/a;b.yaml', 2]);
    assert.equal(documentOfRenderPreviewPath(renderPreviewPath('file:///w/a.yaml')), undefined);
  });
});
