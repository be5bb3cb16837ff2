// `kokpit render` prints what the cluster reconciler applies. Every BusinessCluster of every valid fixture
// (testFixture/valid) goes both ways: through the `kokpit render` command, and through ClusterReconciler on a
// real meta control plane, whose Applier is watched for the objects the steps hand it (before the server adds
// anything). The two lists must be equal, object for object and in step order, once the facts only a live
// cluster knows are set aside: Secret values (placeholders offline), the owner's uid, and the secrets-hash
// annotation computed from those values. A change to one path only (render or reconciler) fails here.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { withDefaults, type BusinessCluster } from '../../../src/api';
import { runCli } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/command';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { applyStatus } from '../../../src/kit';
import { PLACEHOLDER, RENDERED_ANNOTATION } from '../../../src/local/render';
import { SECRETS_HASH_ANNOTATION } from '../../../src/operators/cluster/render/common';
import { ClusterReconciler } from '../../../src/operators/cluster/reconciler';
import { createCA } from '../../../src/pki';
import { installCRDs, startControlPlane, type ControlPlane } from '../../../src/controlplane';
import { API, installDefaultVersions } from './support';

const VALID = path.resolve(__dirname, '../../../testFixture/valid');
type Doc = Record<string, any>;

const docsOf = (file: string): Doc[] =>
  parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => d.toJS())
    .filter(Boolean);
const FIXTURES = fs
  .readdirSync(VALID)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => ({ file: path.join(VALID, f), docs: docsOf(path.join(VALID, f)) }))
  .filter((f) => f.docs.some((d) => d.kind === 'BusinessCluster'));

/** Sets aside what only a live cluster knows; everything else must match exactly. */
function comparable(o: Doc): Doc {
  const x = JSON.parse(JSON.stringify(o)) as Doc;
  for (const r of x.metadata.ownerReferences ?? []) r.uid = '(uid)';
  if (x.kind === 'Secret') x.data = Object.fromEntries(Object.keys(x.data ?? {}).map((k) => [k, '(value)']));
  const ann = x.spec?.template?.metadata?.annotations;
  if (ann?.[SECRETS_HASH_ANNOTATION]) ann[SECRETS_HASH_ANNOTATION] = '(hash of the Secret values)';
  return x;
}
const key = (o: Doc) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Runs the reconciler on `ns/name` and returns what its pass handed the Applier, in order (every apply, `ensure`
 *  included, goes through `ensureAgainst`). */
async function reconcilerObjects(r: ClusterReconciler, ns: string, name: string): Promise<Doc[]> {
  const seen: Doc[] = [];
  const a = r.metaApplier;
  const ensureAgainst = a.ensureAgainst.bind(a);
  a.ensureAgainst = (async (desired: KubernetesObject, live: KubernetesObject | undefined) => (
    seen.push(structuredClone(desired)),
    ensureAgainst(desired, live)
  )) as typeof a.ensureAgainst;
  try {
    await r.reconcile(`${ns}/${name}`);
  } finally {
    a.ensureAgainst = ensureAgainst;
  }
  return seen;
}

describe('kokpit render = what the cluster reconciler applies (every valid fixture)', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  const objects = () => makeObjectApi(kc);

  before(async () => {
    cp = await startControlPlane({ log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) });
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await installDefaultVersions(kc);
  });
  after(async () => cp?.stop());

  /** An EtcdCluster marked Available with a CA Secret (no etcd operator runs here); no clientEndpoint, as offline. */
  async function availableEtcd(ns: string, name: string): Promise<void> {
    const ca = await createCA(`${name}-ca`, { validDays: 30 });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await applyObject(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-ca`, namespace: ns },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(ca.certPem), 'tls.key': b64(ca.keyPem) },
    } as KubernetesObject);
    if (!(await readObject(objects(), { apiVersion: API, kind: 'EtcdCluster', metadata: { name, namespace: ns } }))) {
      await applyObject(
        objects(),
        {
          apiVersion: API,
          kind: 'EtcdCluster',
          metadata: { name, namespace: ns },
          spec: { replicas: 1, version: '3.5.35' },
        } as KubernetesObject,
        { fieldManager: 'kokpit-test' },
      );
    }
    await applyStatus(kc, { apiVersion: API, kind: 'EtcdCluster', metadata: { name, namespace: ns } }, 'etcdclusters', {
      phase: 'Running',
      readyMembers: 1,
      currentVersion: '3.5.35',
      caSecretName: `${name}-ca`,
      conditions: [{ type: 'Available', status: 'True', reason: 'QuorumHealthy', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    });
  }

  it('finds the fixtures it compares', () => {
    assert.ok(
      FIXTURES.length >= 1 && FIXTURES.flatMap((f) => f.docs).filter((d) => d.kind === 'BusinessCluster').length >= 2,
      'valid fixtures hold BusinessClusters',
    );
  });

  for (const fixture of FIXTURES) {
    for (const bc of fixture.docs.filter((d) => d.kind === 'BusinessCluster')) {
      const ns = bc.metadata.namespace ?? 'default';
      it(`${path.basename(fixture.file)}: BusinessCluster ${ns}/${bc.metadata.name}`, async () => {
        // The same catalog both ways: the file's own KubernetesVersion/Addon documents go into the meta cluster too.
        for (const d of fixture.docs.filter((x) => x.kind === 'KubernetesVersion' || x.kind === 'Addon'))
          await applyObject(objects(), d as KubernetesObject, { fieldManager: 'kokpit-test' });

        // 1. kokpit render, as a user runs it.
        const out: string[] = [];
        const err: string[] = [];
        const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd: VALID };
        assert.equal(await runCli(['render', '-f', path.basename(fixture.file), '-o', 'json'], io), 0, err.join('\n'));
        const rendered = (JSON.parse(out.join('\n')).items as Doc[]).filter(
          (o) => o.metadata.labels?.['kokpit.dev/cluster'] === bc.metadata.name,
        );
        for (const s of rendered.filter((o) => o.kind === 'Secret')) {
          assert.equal(s.metadata.annotations?.[RENDERED_ANNOTATION], 'placeholder-data', `${key(s)} is marked`);
          for (const v of Object.values(s.data))
            assert.equal(Buffer.from(v as string, 'base64').toString(), PLACEHOLDER, `${key(s)} holds placeholders only`);
          delete s.metadata.annotations[RENDERED_ANNOTATION];
          if (!Object.keys(s.metadata.annotations).length) delete s.metadata.annotations;
        }

        // 2. The reconciler on a real API server, its etcd made Available by the test (no etcd operator here).
        await applyObject(objects(), { ...bc, metadata: { ...bc.metadata, namespace: ns } } as KubernetesObject, {
          fieldManager: 'kokpit-test',
        });
        const stored = await readObject<BusinessCluster & KubernetesObject>(objects(), {
          apiVersion: API,
          kind: 'BusinessCluster',
          metadata: { name: bc.metadata.name, namespace: ns },
        });
        assert.deepEqual(
          stored!.spec,
          withDefaults(bc as BusinessCluster).spec,
          'the apiserver defaults the spec exactly as withDefaults does (the CRD carries the nested defaults)',
        );
        const etcdName = bc.spec.etcd.managed ? `${bc.metadata.name}-etcd` : bc.spec.etcd.clusterRef.name;
        const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
        if (bc.spec.etcd.managed) await reconcilerObjects(r, ns, bc.metadata.name); // creates the EtcdCluster, then waits for it
        await availableEtcd(ns, etcdName);
        const applied = await reconcilerObjects(r, ns, bc.metadata.name);
        const status = (await readObject<BusinessCluster & KubernetesObject>(objects(), {
          apiVersion: API,
          kind: 'BusinessCluster',
          metadata: { name: bc.metadata.name, namespace: ns },
        }))!.status!;
        const stoppedAt = status.conditions!.find((c) => c.status !== 'True' && c.type !== 'Ready');
        assert.equal(
          stoppedAt?.reason,
          'APIServerNotReady',
          'the pass got past every step that applies meta-cluster objects (no pods run here)',
        );

        assert.deepEqual(applied.map(key), rendered.map(key), 'the same objects, in step order');
        assert.deepEqual(applied.map(comparable), rendered.map(comparable));
      });
    }
  }
});
