// `kokpit deploy FILE --selector k=v`: --dry-run prints what the builder makes (no cluster), usage errors exit 2, a
// refused file or a selector that picks no ManagedCluster exits 1 with nothing written, and a good request applies the
// binding, the Placement and the ManifestWorkReplicaSet in that order. The meta cluster is a small HTTP server that
// answers discovery, a few reads and the ManagedCluster list, and records every PATCH (server-side apply).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../../src/cli/main';
import { fakeHub, fakeHubKubeconfig, type FakeHub as Fake } from '../../support/fake-ocm-hub';

describe('kokpit deploy', () => {
  let dir: string;
  let kubeconfig: string;
  let hub: Fake;
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), progress: () => {}, isTTY: false, cwd: dir },
    };
  };
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
  const kokpit = async (argv: string[]) => {
    const r = io();
    const code = await runCli(['deploy', ...argv], r.io);
    return { code, out: r.out.join('\n'), err: r.err.join('\n') };
  };
  const useHub = (h: Fake) => {
    hub = h;
    fs.writeFileSync(kubeconfig, fakeHubKubeconfig(h.url));
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-deploy-'));
    kubeconfig = path.join(dir, 'kubeconfig');
    write(
      'web app.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n---\n' +
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n',
    );
    write('empty.yaml', '# nothing here\n');
  });
  afterEach(async () => hub?.close());
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--dry-run -o yaml prints the binding, Placement and ManifestWorkReplicaSet without a cluster; -o json a List', async () => {
    const r = await kokpit(['web app.yaml', '--selector', 'env=dev', '-n', 'apps', '--dry-run', '-o', 'yaml']);
    assert.equal(r.code, 0, r.err);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS());
    assert.deepEqual(
      docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`),
      ['ManagedClusterSetBinding apps/global', 'Placement apps/web-app', 'ManifestWorkReplicaSet apps/web-app'],
    );
    const json = await kokpit(['web app.yaml', '-l', 'env=dev', '--work-name', 'site', '--dry-run', '-o', 'json']);
    assert.equal(json.code, 0, json.err);
    assert.deepEqual(
      JSON.parse(json.out).items.map((o: { metadata: { name: string } }) => o.metadata.name),
      ['global', 'site', 'site'],
    );
  });

  it('usage errors exit 2: no file, no selector, a bad selector, -o without --dry-run, a missing file', async () => {
    for (const [argv, message] of [
      [['--selector', 'env=dev'], /give one YAML file/],
      [['web app.yaml'], /give the clusters with --selector/],
      [['web app.yaml', '--selector', 'env'], /--selector: the selector takes key=value/],
      [['web app.yaml', '--selector', 'env=dev', '-o', 'yaml'], /-o yaml needs --dry-run/],
      [['nope.yaml', '--selector', 'env=dev'], /cannot read nope.yaml: ENOENT/],
    ] as const) {
      const r = await kokpit([...argv]);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
  });

  it('a file with no object exits 1 and creates nothing, even before a cluster is asked', async () => {
    const r = await kokpit(['empty.yaml', '--selector', 'env=dev', '--kubeconfig', path.join(dir, 'none')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^kokpit deploy: empty\.yaml holds no Kubernetes object: nothing to deploy .*; nothing created$/);
  });

  it('a selector that picks no ManagedCluster exits 1 before anything is written, naming what the hub has', async () => {
    useHub(await fakeHub());
    const r = await kokpit(['web app.yaml', '--selector', 'env=qa', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      'kokpit deploy: no ManagedCluster has env=qa (of 3: fleet-a, fleet-b, fleet-c); present: env=dev (2), env=prod (1); nothing created',
    );
    assert.deepEqual(hub.patches, []);
  });

  it('OCM not installed: exit 1 with the fix, nothing written', async () => {
    useHub(await fakeHub(false));
    const r = await kokpit(['web app.yaml', '--selector', 'env=dev', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /does not serve ManagedCluster, ManagedClusterSet, .*Open Cluster Management is not installed; run kokpit up --with-ocm$/,
    );
    assert.deepEqual(hub.patches, []);
  });

  it('a namespace the meta cluster does not have: exit 1, nothing written', async () => {
    useHub(await fakeHub());
    const r = await kokpit(['web app.yaml', '--selector', 'env=dev', '-n', 'apps', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 1);
    assert.match(r.err, /namespace apps does not exist in the meta cluster/);
    assert.deepEqual(hub.patches, []);
  });

  it('applies the binding, the Placement and the ManifestWorkReplicaSet in order, as kokpit-deploy, and names the clusters', async () => {
    useHub(await fakeHub());
    const r = await kokpit(['web app.yaml', '--selector', 'env=dev', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      hub.patches.map((p) => [p.path, p.body.kind, p.fieldManager]),
      [
        [
          '/apis/cluster.open-cluster-management.io/v1beta2/namespaces/default/managedclustersetbindings/global',
          'ManagedClusterSetBinding',
          'kokpit-deploy',
        ],
        ['/apis/cluster.open-cluster-management.io/v1beta1/namespaces/default/placements/web-app', 'Placement', 'kokpit-deploy'],
        [
          '/apis/work.open-cluster-management.io/v1alpha1/namespaces/default/manifestworkreplicasets/web-app',
          'ManifestWorkReplicaSet',
          'kokpit-deploy',
        ],
      ],
    );
    assert.match(
      r.out,
      /2 objects of web app\.yaml go to fleet-a, fleet-b \(env=dev\) as ManifestWorkReplicaSet default\/web-app; follow with `kokpit get works`$/,
    );
  });
});
