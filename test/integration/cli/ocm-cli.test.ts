// Open Cluster Management kinds through the CLI on a real kube-apiserver: before OCM's CRDs exist, `kokpit get` and
// `kokpit apply` name the fix and apply nothing; with schemas/ocm installed (installCRDs on the directory), apply takes
// the OCM fixtures, the apiserver refuses exactly the invalid fixtures testFixture/ocm/invalid/expectations.json says it
// refuses (the editor's schema findings agree with the CRDs), and `kokpit get managedclusters|works|placements` shows
// the conditions OCM writes (set here through /status, as OCM's controllers would).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { OCM_KINDS, ocmApiVersion, ocmCrdName } from '../../../src/api/ocm';
import { runCli } from '../../../src/cli/main';
import { installCRDs, httpsRequest, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyStatus } from '../../../src/kit';
import { applyObject, listObjects, makeObjectApi, readObject } from '../../../src/kube';
import { ocmSchemaDir } from '../../../src/validation/ocm-schemas';

const FIXTURES = path.resolve(__dirname, '../../../testFixture/ocm');
const NAMESPACES = ['fleet', 'dev-a', 'dev-b', 'open-cluster-management'];

describe('kokpit get/apply with Open Cluster Management kinds on a real API server', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let dir: string;
  let meta: string[];

  before(async function () {
    cp = await startControlPlane({ log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) });
    kc = cp.kubeConfig();
    for (const name of NAMESPACES) await applyObject(makeObjectApi(kc), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-ocm-cli-'));
    meta = ['--kubeconfig', cp.kubeconfigPath];
  });
  after(async () => {
    await cp?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd: dir });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const fixture = (p: string) => path.join(FIXTURES, p);

  it('without the OCM CRDs: get and apply say OCM is not installed and how to install it, and apply writes nothing', async () => {
    const get = await cli(['get', 'managedclusters', ...meta]);
    assert.equal(get.code, 1, get.err);
    assert.match(
      get.err,
      /does not serve ManagedCluster \(cluster\.open-cluster-management\.io\/v1\).*missing CRD managedclusters\.cluster\.open-cluster-management\.io.*run kokpit up --with-ocm/,
    );
    // A ConfigMap before a Placement in one file: refused as a whole, so the ConfigMap is not created either.
    const mixed = path.join(dir, 'mixed.yaml');
    fs.writeFileSync(
      mixed,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before-ocm\n  namespace: fleet\ndata:\n  a: b\n---\n' +
        fs.readFileSync(fixture('valid/placement.yaml'), 'utf8'),
    );
    const apply = await cli(['apply', '-f', mixed, ...meta]);
    assert.equal(apply.code, 1, apply.out);
    assert.match(apply.err, /does not serve Placement .*ManagedClusterSetBinding .*run kokpit up --with-ocm; nothing applied/);
    assert.equal(
      await readObject(makeObjectApi(kc), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before-ocm', namespace: 'fleet' } }),
      undefined,
    );
  });

  it('installCRDs on schemas/ocm installs the ten OCM CRDs, and each kind is served', async function () {
    this.timeout(120_000);
    const names = await installCRDs(kc, ocmSchemaDir());
    assert.deepEqual(names.sort(), OCM_KINDS.map(ocmCrdName).sort());
    // A fresh CRD answers 429 while its storage initializes.
    for (const k of OCM_KINDS) {
      await waitFor(
        `${k.kind} served`,
        () =>
          listObjects(makeObjectApi(kc), ocmApiVersion(k), k.kind).then(
            () => true,
            () => undefined,
          ),
        {
          timeoutMs: 30_000,
          intervalMs: 200,
        },
      );
    }
  });

  it('the apiserver refuses exactly the invalid fixtures expectations.json says it refuses (dry run, fieldValidation=Strict)', async () => {
    const { files } = JSON.parse(fs.readFileSync(fixture('invalid/expectations.json'), 'utf8')) as {
      files: Array<{ file: string; apiserverRejects: boolean; skipApiserver?: boolean }>;
    };
    const wrong: string[] = [];
    for (const e of files.filter((x) => !x.skipApiserver)) {
      const source = fs.readFileSync(fixture(`invalid/${e.file}`), 'utf8');
      const kind = OCM_KINDS.find((k) => new RegExp(`^kind: ${k.kind}$`, 'm').test(source))!;
      const ns = /^ {2}namespace: (\S+)$/m.exec(source)?.[1] ?? 'default';
      const url =
        `${cp.server}/apis/${ocmApiVersion(kind)}${kind.scope === 'Namespaced' ? `/namespaces/${ns}` : ''}/${kind.plural}` +
        '?dryRun=All&fieldValidation=Strict';
      const r = await httpsRequest(url, cp.adminTLS, { method: 'POST', body: source, contentType: 'application/yaml', timeoutMs: 10_000 });
      // Before anything is applied: a refusal is about the object (400 strict decoding, 422 invalid), never a clash.
      assert.ok(r.status < 300 || r.status === 400 || r.status === 422, `${e.file}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      const rejected = r.status >= 400;
      if (rejected !== e.apiserverRejects)
        wrong.push(`${e.file}: expected ${e.apiserverRejects ? 'rejected' : 'accepted'}, HTTP ${r.status} ${r.body.slice(0, 300)}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('kokpit apply takes every valid OCM fixture', async () => {
    for (const f of fs.readdirSync(fixture('valid')).sort()) {
      const r = await cli(['apply', '-f', fixture(`valid/${f}`), ...meta]);
      assert.equal(r.code, 0, `${f}: ${r.err}`);
      assert.doesNotMatch(r.out, /failed/);
    }
    const work = await readObject(makeObjectApi(kc), {
      apiVersion: 'work.open-cluster-management.io/v1',
      kind: 'ManifestWork',
      metadata: { name: 'hello', namespace: 'dev-a' },
    });
    assert.equal((work as { spec?: { workload?: { manifests?: unknown[] } } })?.spec?.workload?.manifests?.length, 3);
  });

  it('kokpit get managedclusters|works|placements show the conditions OCM sets, wide adds labels, -o json the kinds', async () => {
    const now = new Date().toISOString();
    const c = (type: string, status: string, reason: string) => ({ type, status, reason, message: reason, lastTransitionTime: now });
    const mc = (name: string) => ({ apiVersion: 'cluster.open-cluster-management.io/v1', kind: 'ManagedCluster', metadata: { name } });
    await applyObject(makeObjectApi(kc), {
      ...mc('dev-b'),
      metadata: { name: 'dev-b', labels: { env: 'dev' } },
      spec: { hubAcceptsClient: true },
    });
    await applyStatus(kc, mc('dev-a'), 'managedclusters', {
      conditions: [
        c('HubAcceptedManagedCluster', 'True', 'HubClusterAdminAccepted'),
        c('ManagedClusterJoined', 'True', 'ManagedClusterJoined'),
        c('ManagedClusterConditionAvailable', 'True', 'ManagedClusterAvailable'),
      ],
    });
    await applyStatus(kc, mc('dev-b'), 'managedclusters', {
      conditions: [
        c('ManagedClusterJoined', 'True', 'ManagedClusterJoined'),
        c('ManagedClusterConditionAvailable', 'Unknown', 'ManagedClusterLeaseUpdateStopped'),
      ],
    });
    const work = {
      apiVersion: 'work.open-cluster-management.io/v1',
      kind: 'ManifestWork',
      metadata: { name: 'hello', namespace: 'dev-a' },
    };
    await applyStatus(kc, work, 'manifestworks', {
      conditions: [c('Applied', 'True', 'AppliedManifestWorkComplete'), c('Available', 'True', 'ResourcesAvailable')],
    });
    const placement = {
      apiVersion: 'cluster.open-cluster-management.io/v1beta1',
      kind: 'Placement',
      metadata: { name: 'dev', namespace: 'fleet' },
    };
    await applyStatus(kc, placement, 'placements', {
      numberOfSelectedClusters: 2,
      conditions: [c('PlacementSatisfied', 'True', 'AllDecisionsScheduled')],
    });

    const clusters = await cli(['get', 'managedclusters', ...meta]);
    assert.equal(clusters.code, 0, clusters.err);
    const rows = clusters.out.split('\n');
    assert.match(rows[0], /^NAME\s+ACCEPTED\s+JOINED\s+AVAILABLE\s+AGE$/);
    assert.match(rows[1], /^dev-a\s+true\s+True\s+True\s+\d+s$/);
    assert.match(rows[2], /^dev-b\s+true\s+True\s+Unknown\(ManagedClusterLeaseUpdateStopped\)\s+\d+s$/);
    const wide = await cli(['get', 'mcl', '-o', 'wide', ...meta]);
    assert.match(wide.out.split('\n')[1], /cluster\.open-cluster-management\.io\/clusterset=dev,env=dev$/);
    assert.match(wide.out.split('\n')[2], /\senv=dev$/);

    const works = await cli(['get', 'works', ...meta]);
    assert.equal(works.code, 0, works.err);
    assert.match(works.out, /^NAMESPACE\s+NAME\s+APPLIED\s+AVAILABLE\s+AGE\ndev-a\s+hello\s+True\s+True\s+\d+s$/);
    assert.match((await cli(['get', 'works', '-o', 'wide', ...meta])).out, /MANIFESTS\s+DEGRADED\n.*\s3\s+-$/);
    assert.equal((await cli(['get', 'works', '-n', 'fleet', ...meta])).out, 'No works found.');

    const placements = await cli(['get', 'placements', ...meta]);
    assert.equal(placements.code, 0, placements.err);
    assert.match(placements.out, /^NAMESPACE\s+NAME\s+DECISIONS\s+SATISFIED\s+AGE\nfleet\s+dev\s+2\s+True\s+\d+s$/);

    const json = JSON.parse((await cli(['get', 'placements', '-o', 'json', ...meta])).out);
    assert.equal(json.kind, 'List');
    assert.deepEqual(
      [json.items[0].apiVersion, json.items[0].kind, json.items[0].status.numberOfSelectedClusters],
      ['cluster.open-cluster-management.io/v1beta1', 'Placement', 2],
    );
    assert.match(
      (await cli(['get', 'managedclusters', '-o', 'yaml', ...meta])).out,
      /apiVersion: cluster\.open-cluster-management\.io\/v1\n\s+kind: ManagedCluster/,
    );
  });
});
