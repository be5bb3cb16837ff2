// package.json's contributions agree with the code and point at files that exist; the .vsix holds what runs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFiles, PackageManager } from '@vscode/vsce';
import { KINDS } from '../../../src/api';
import { CATEGORY, COMMANDS } from '../../../src/extension/model/commands';
import { LOG_LEVELS } from '../../../src/extension/model/logger';
import { DEFAULT_SETTINGS, SETTING_KEYS, SETTINGS_SECTION } from '../../../src/extension/model/settings';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const contributes = pkg.contributes;
const exists = (p: string) => existsSync(join(ROOT, p));

/** `command:<id>` links in markdown-ish text. */
const commandLinks = (text: string) => [...text.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
const OWN_COMMANDS = new Set<string>(Object.values(COMMANDS).map((c) => c.id));
// Built-in commands the welcome content and walkthrough may use on purpose.
const BUILTIN_COMMANDS = new Set(['workbench.action.openWalkthrough', 'workbench.action.files.newUntitledFile', 'kokpit.fleet.focus']);

describe('manifest: package.json contributions', () => {
  it('commands: exactly the ones the code registers, with titles and the Kokpit category', () => {
    const declared = contributes.commands.map((c: { command: string; title: string; category: string }) => [
      c.command,
      c.title,
      c.category,
    ]);
    const expected = Object.values(COMMANDS).map((c) => [c.id, c.title, CATEGORY]);
    assert.deepEqual(declared, expected);
  });

  it('settings: the keys, defaults and log levels the settings reader uses', () => {
    const props = contributes.configuration.properties as Record<string, { type: string; default: unknown; enum?: string[] }>;
    const expected = Object.fromEntries(
      (Object.keys(SETTING_KEYS) as (keyof typeof SETTING_KEYS)[]).map((field) => [
        `${SETTINGS_SECTION}.${SETTING_KEYS[field]}`,
        DEFAULT_SETTINGS[field],
      ]),
    );
    assert.deepEqual(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.default])), expected);
    assert.deepEqual(props['kokpit.logLevel'].enum, [...LOG_LEVELS]);
    assert.equal(props['kokpit.reconcilers.autoStart'].type, 'boolean');
  });

  it('activation, entry point and engine', () => {
    for (const e of ['onLanguage:yaml', 'onView:kokpit.fleet', 'workspaceContains:**/kokpit.yaml'])
      assert.ok(pkg.activationEvents.includes(e), e);
    assert.equal(pkg.main, './dist/extension.js');
    assert.equal(pkg.engines.vscode, '^1.100.0');
  });

  it('the activity bar container, the Fleet view and its welcome buttons', () => {
    assert.deepEqual(contributes.viewsContainers.activitybar, [{ id: 'kokpit', title: 'Kokpit', icon: 'media/kokpit.svg' }]);
    assert.ok(exists('media/kokpit.svg'));
    assert.deepEqual(
      contributes.views.kokpit.map((v: { id: string; name: string }) => [v.id, v.name]),
      [['kokpit.fleet', 'Fleet']],
    );
    const welcome = contributes.viewsWelcome.find((w: { view: string }) => w.view === 'kokpit.fleet');
    const links = commandLinks(welcome.contents);
    for (const id of ['kokpit.createLocalMetaCluster', 'kokpit.connect', 'kokpit.startSandbox']) assert.ok(links.includes(id), id);
    for (const id of links) assert.ok(OWN_COMMANDS.has(id) || BUILTIN_COMMANDS.has(id), `unknown command in welcome: ${id}`);
  });

  it('the walkthrough: 3-4 steps, each with existing markdown and known command links', () => {
    const [walkthrough] = contributes.walkthroughs;
    assert.ok(walkthrough.steps.length >= 3 && walkthrough.steps.length <= 4);
    for (const step of walkthrough.steps) {
      assert.ok(exists(step.media.markdown), step.media.markdown);
      assert.ok(step.completionEvents.length > 0, step.id);
      for (const id of commandLinks(step.description))
        assert.ok(OWN_COMMANDS.has(id) || BUILTIN_COMMANDS.has(id), `unknown command in ${step.id}: ${id}`);
    }
  });

  it('menus name contributed commands only', () => {
    for (const items of Object.values(contributes.menus ?? {}) as { command: string }[][])
      for (const item of items) assert.ok(OWN_COMMANDS.has(item.command), item.command);
  });

  it("tree context menus match the fleet model's context values", () => {
    const items = contributes.menus['view/item/context'] as { command: string; when: string }[];
    const regexFor = (command: string) => {
      const when = items.find((i) => i.command === command && !i.when.includes('viewItem =='))!.when;
      const m = /viewItem =~ \/(.+)\/$/.exec(when);
      assert.ok(m, when);
      return new RegExp(m[1]);
    };
    const open = regexFor('kokpit.openYaml');
    const status = regexFor('kokpit.showStatus');
    const copy = regexFor('kokpit.copyKubeconfig');
    for (const v of [
      'kokpit.etcdCluster.ready',
      'kokpit.businessCluster.progress',
      'kokpit.machine.error',
      'kokpit.version',
      'kokpit.addonDefinition',
    ])
      assert.match(v, open);
    for (const v of ['kokpit.etcdMember.leader', 'kokpit.group.etcd', 'kokpit.metaCluster', 'kokpit.condition', 'kokpit.addon'])
      assert.doesNotMatch(v, open);
    for (const v of ['kokpit.etcdCluster.ready', 'kokpit.businessCluster.warning', 'kokpit.machine.ready']) assert.match(v, status);
    assert.doesNotMatch('kokpit.version', status);
    assert.match('kokpit.businessCluster.ready', copy);
    assert.doesNotMatch('kokpit.etcdCluster.ready', copy);
  });

  it('yamlValidation binds the combined schema, which dispatches on every kind', () => {
    assert.deepEqual(contributes.yamlValidation, [
      { fileMatch: ['*.kokpit.yaml', 'kokpit.yaml', '**/kokpit/**/*.yaml'], url: './schemas/kokpit.json' },
    ]);
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/kokpit.json'), 'utf8'));
    const refs = JSON.stringify(schema.allOf.map((b: { then: unknown }) => b.then));
    for (const k of KINDS) {
      assert.ok(refs.includes(`${k.kind.toLowerCase()}.json`), k.kind);
      assert.ok(exists(`schemas/${k.kind.toLowerCase()}.json`), k.kind);
    }
  });

  it('marketplace icon is a PNG (vsce refuses SVG icons)', () => {
    assert.match(pkg.icon, /\.png$/);
    const head = readFileSync(join(ROOT, pkg.icon)).subarray(0, 8);
    assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});

describe('manifest: what the .vsix ships (.vscodeignore, as vsce reads it)', () => {
  let files: string[];
  before(async function () {
    this.timeout(60_000);
    files = await listFiles({ cwd: ROOT, packageManager: PackageManager.None });
  });

  it('only the bundles, media, snippets, schemas (OCM CRDs too), CRDs and manager manifests (kokpit up, install), the docs', () => {
    const allowed =
      /^(package\.json|README\.md|LICENSE|dist\/(extension|cli)\.js|dist\/cli\/[^/]+\.mjs|dist\/cli\/validate\.cjs|dist\/cli\/validate-[0-9a-f]+\.v8cache|dist\/etcd3-proto\/.+\.proto|media\/.+|snippets\/.+|schemas\/.+\.json|schemas\/ocm\/[^/]+\.yaml|config\/(crd|rbac|manager|default)\/[^/]+\.yaml|config\/ocm\/.+\.(yaml|md))$/;
    assert.deepEqual(
      files.filter((f) => !allowed.test(f)),
      [],
    );
  });

  // That the .proto files etcd3 loads at run time are packaged needs a build: see test/integration/bundle.

  it('includes every file the manifest refers to', () => {
    const referenced = [
      'package.json',
      'LICENSE',
      pkg.icon,
      'media/kokpit.svg',
      ...contributes.snippets.map((s: { path: string }) => s.path),
      ...contributes.yamlValidation.map((v: { url: string }) => v.url),
      ...contributes.walkthroughs.flatMap((w: { steps: { media: { markdown: string } }[] }) => w.steps.map((s) => s.media.markdown)),
      ...KINDS.map((k) => `schemas/${k.kind.toLowerCase()}.json`),
    ].map((p) => p.replace(/^\.\//, ''));
    for (const p of referenced) assert.ok(files.includes(p), `${p} is not packaged`);
  });
});
