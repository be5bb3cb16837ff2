// The editor never blocks its host on a hostile file: it runs the validator on every YAML document that mentions
// kokpit.dev/, so open documents and workspace validation get the engine's bounds (depth, aliases, size) and
// workspace validation reads regular files under the size cap only. Each hostile document is validated on open
// (synchronously, as the host would) and gets the limit's diagnostic; times are printed, the deadline is mocha's.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LIMITS } from '../../../src/validation';
import { aliasFan, billionLaughs, nestedBrackets, nestedDashes } from '../../support/hostile-yaml';
import { fake, fakeContext, installFakeVscode, Position, type FakeState } from './fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const MARKER = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdCluster\nmetadata:\n  name: x\n---\n';
const ETCD_BAD = 'apiVersion: kokpit.dev/v1alpha1\nkind: EtcdCluster\nmetadata:\n  name: etcd\nspec:\n  replicas: 2\n';

interface ExtensionModule {
  activate(context: unknown): void;
  deactivate(): void;
}

describe('extension: hostile documents (fake vscode)', function () {
  this.timeout(120_000);
  let extension: ExtensionModule;
  let state: FakeState;
  let context: ReturnType<typeof fakeContext>;

  before(() => {
    installFakeVscode();
    // Loaded by path, not imported: the root tsconfig must not compile src/extension (it imports vscode).
    extension = require(join(ROOT, 'src', 'extension', 'extension.ts')) as ExtensionModule;
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

  const cases: Array<[string, string, string]> = [
    ['10,000 nested "- "', MARKER + nestedDashes(10_000), 'too-deep'],
    ['10,000 nested "["', MARKER + nestedBrackets(10_000), 'too-deep'],
    ['a billion laughs', billionLaughs(), 'alias-limit'],
    ['5,000 aliases to a list of 2,000', aliasFan(5000, 2000), 'alias-limit'],
    [`a text over ${LIMITS.maxChars / 1024 / 1024} MiB`, `${MARKER}#${'x'.repeat(LIMITS.maxChars)}\n`, 'too-large'],
  ];
  for (const [name, text, code] of cases) {
    it(`${name}: validated on open within bounds, with a ${code} diagnostic; completion and hover answer`, async () => {
      const started = Date.now();
      const doc = fake.openDocument(`/w/${code}.yaml`, text);
      const found = fake.diagnostics(doc.uri) ?? [];
      const completion = await state.completionProviders[0].provider.provideCompletionItems(
        doc,
        new Position(0, 0),
        {},
        { triggerKind: 0 },
      );
      const hover = await state.hoverProviders[0].provider.provideHover(doc, new Position(1, 2));
      console.log(`      ${name}: ${Date.now() - started} ms (diagnostics, completion, hover)`);
      assert.ok(
        found.some((d) => d.code === code),
        JSON.stringify(found.map((d) => [d.code, d.message])),
      );
      assert.ok(!state.logs.some((l) => l.level === 'error'), JSON.stringify(state.logs));
      void completion;
      void hover;
    });
  }

  it('workspace validation skips FIFOs and devices and files over the size cap, and validates the rest', async () => {
    state.files.set('/w/fifo.yaml', MARKER);
    state.specialFiles.add('/w/fifo.yaml');
    state.files.set('/w/huge.yaml', `${MARKER}#${'x'.repeat(LIMITS.maxChars)}\n`);
    state.files.set('/w/bad.yaml', ETCD_BAD);
    state.messageAnswer = undefined;
    await state.commands.get('kokpit.validateWorkspace')!();
    const collection = state.collections[0];
    assert.ok((collection.entries.get('file:///w/bad.yaml') ?? []).length > 0);
    assert.equal(collection.entries.has('file:///w/fifo.yaml'), false);
    assert.equal(collection.entries.has('file:///w/huge.yaml'), false);
    assert.ok(
      state.logs.some((l) => l.level === 'warn' && /skipped \/w\/huge\.yaml: too large/.test(l.message)),
      JSON.stringify(state.logs),
    );
  });
});
