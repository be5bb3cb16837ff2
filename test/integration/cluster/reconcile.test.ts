// The BusinessCluster reconciler against a real meta control plane (etcd + kube-apiserver) and a real
// etcd for the business cluster. No pods run here (see podrunner.test.ts for that): the apiserver
// Deployment stays unready, so passes stop at APIServerAvailable, which is what a real cluster shows
// while pods start.
import * as assert from 'node:assert/strict';
import type { KubeConfig } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { kubernetesVersion } from '../../../src/catalog';
import { runCli } from '../../../src/cli/main';
import { makeObjectApi, applyObject, deleteObject, listObjects, readObject } from '../../../src/kube';
import { startClusterOperator, type ClusterOperator } from '../../../src/operators/cluster/operator';
import { ClusterReconciler } from '../../../src/operators/cluster/reconciler';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  etcdCount,
  etcdPut,
  eventsFor,
  installDefaultVersions,
  ownedObjects,
  readCluster,
  startPlainEtcd,
  type PlainEtcd,
} from './support';
import { AGENTS, AuditWrites, assertWriteCount } from '../../support/audit-writes';
import { parse as parseYaml } from 'yaml';
import { certInfo } from '../../../src/pki';

const NS = 'bc-it';

const EXPECTED = [
  'Deployment/alpha-apiserver',
  'Deployment/alpha-controller-manager',
  'Deployment/alpha-scheduler',
  'Secret/alpha-admin-kubeconfig',
  'Secret/alpha-apiserver-etcd-client',
  'Secret/alpha-apiserver-kubelet-client',
  'Secret/alpha-apiserver-serving',
  'Secret/alpha-ca',
  'Secret/alpha-controller-manager-kubeconfig',
  'Secret/alpha-front-proxy-ca',
  'Secret/alpha-front-proxy-client',
  'Secret/alpha-sa',
  'Secret/alpha-scheduler-kubeconfig',
  'Secret/alpha-superadmin-kubeconfig',
  'Service/alpha-apiserver',
];
const expectedFor = (name: string) => EXPECTED.map((e) => e.replace('alpha', name)).sort();

describe('BusinessCluster reconciler on a real meta control plane', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let etcd: PlainEtcd;
  let audit: AuditWrites;
  // The cluster operator's writes as the API server logged them while `fn` ran.
  const operatorWrites = async (fn: () => Promise<unknown>) => (await audit.during({ userAgent: AGENTS.cluster }, fn)).writes;

  before(async function () {
    [cp, etcd] = await Promise.all([
      startControlPlane({ audit: true, log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) }),
      startPlainEtcd(),
    ]);
    kc = cp.kubeConfig();
    audit = new AuditWrites(cp);
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
  });
  after(async () => {
    await Promise.all([cp?.stop(), etcd?.stop()]);
  });

  // Users' applies go through their own field manager, as kubectl's would.
  const create = (name: string, spec: Record<string, unknown>) =>
    applyObject(makeObjectApi(kc), businessCluster(name, NS, spec), { fieldManager: 'kokpit-test' });
  const sharedSpec = (extra: Record<string, unknown> = {}) => ({
    version: 'v1.33.13',
    etcd: { clusterRef: { name: 'shared' } },
    apiServer: { service: { type: 'NodePort' }, certSANs: ['api.example.test', '192.0.2.10'] },
    ...extra,
  });

  it('creates every Secret, Service and Deployment with a controller owner reference, and reports progress', async () => {
    const bc = await create('alpha', sharedSpec());
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    const res = await r.reconcile(`${NS}/alpha`);
    assert.deepEqual(
      res,
      { requeueAfterMs: 6000 },
      'waits for the apiserver pods (the Deployment watch wakes it sooner; the requeue is a safety net)',
    );

    const owned = await ownedObjects(kc, NS, 'alpha');
    assert.deepEqual(
      owned.map((o) => `${o.kind}/${o.name}`),
      expectedFor('alpha'),
    );
    for (const o of owned) {
      assert.deepEqual(
        o.owners,
        [{ kind: 'BusinessCluster', name: 'alpha', uid: bc.metadata!.uid!, controller: true }],
        `${o.kind}/${o.name} owner`,
      );
    }

    const st = (await readCluster(kc, NS, 'alpha')).status!;
    const cond = (t: string) => st.conditions!.find((c) => c.type === t);
    assert.equal(cond('CatalogValid')?.status, 'True');
    assert.equal(cond('EtcdReady')?.status, 'True');
    assert.equal(cond('CertificatesReady')?.status, 'True');
    assert.equal(cond('APIServerAvailable')?.status, 'False');
    assert.equal(cond('APIServerAvailable')?.reason, 'APIServerNotReady');
    assert.equal(cond('Ready')?.status, 'False');
    assert.equal(cond('EtcdReady')?.observedGeneration, 1);
    assert.equal(st.phase, 'Provisioning');
    assert.equal(st.kubeconfigSecretName, 'alpha-admin-kubeconfig');
    assert.equal(st.etcdPrefix, `/kokpit/${NS}/alpha`);
    assert.match(String(st.endpoint), /^https:\/\/127\.0\.0\.1:3\d{4}$/, 'NodePort endpoint (no Nodes: loopback)');
    assert.equal(st.observedGeneration, undefined, 'observedGeneration waits for a full pass');
    assert.deepEqual(
      (st.components as Array<{ name: string }>).map((c) => c.name),
      ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
    );

    // The apiserver Deployment: flags for etcd, the unique prefix, and the Secret hash on the pod template.
    const dep = await readObject<any>(makeObjectApi(kc), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'alpha-apiserver', namespace: NS },
    });
    const args: string[] = dep.spec.template.spec.containers[0].args;
    assert.ok(args.includes(`--etcd-servers=${etcd.url}`), 'etcd servers from the EtcdCluster');
    assert.ok(args.includes(`--etcd-prefix=/kokpit/${NS}/alpha`));
    assert.ok(args.includes('--authorization-mode=Node,RBAC'));
    assert.ok(args.includes('--enable-bootstrap-token-auth=true'));
    assert.equal(dep.spec.template.spec.containers[0].image, 'registry.k8s.io/kube-apiserver:v1.33.13');
    assert.match(dep.spec.template.metadata.annotations['kokpit.dev/secrets-hash'], /^[0-9a-f]{16}$/);

    // The serving certificate covers every name the issue lists.
    const serving = await readObject<any>(makeObjectApi(kc), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'alpha-apiserver-serving', namespace: NS },
    });
    const cert = new X509Certificate(Buffer.from(serving.data['tls.crt'], 'base64'));
    const svc = await readObject<any>(makeObjectApi(kc), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'alpha-apiserver', namespace: NS },
    });
    for (const san of [
      'DNS:alpha-apiserver',
      `DNS:alpha-apiserver.${NS}.svc`,
      'DNS:localhost',
      'DNS:kubernetes.default.svc',
      'DNS:api.example.test',
      'IP Address:127.0.0.1',
      'IP Address:10.96.0.1',
      'IP Address:192.0.2.10',
      `IP Address:${svc.spec.clusterIP}`,
    ]) {
      assert.ok(cert.subjectAltName!.split(', ').includes(san), `serving cert SAN ${san} (has ${cert.subjectAltName})`);
    }
    // The etcd client certificate is signed by the etcd cluster's CA.
    const etcdClient = await readObject<any>(makeObjectApi(kc), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'alpha-apiserver-etcd-client', namespace: NS },
    });
    assert.ok(new X509Certificate(Buffer.from(etcdClient.data['tls.crt'], 'base64')).checkIssued(new X509Certificate(etcd.ca.certPem)));

    // The admin kubeconfig users copy: a day's certificate in kubeadm:cluster-admins (an RBAC binding, revocable),
    // not system:masters; only the operator's superadmin kubeconfig has that.
    const clientCert = async (purpose: string) => {
      const s = await readObject<any>(makeObjectApi(kc), {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `alpha-${purpose}-kubeconfig`, namespace: NS },
      });
      const doc = parseYaml(Buffer.from(s.data.value, 'base64').toString('utf8'));
      return certInfo(Buffer.from(doc.users[0].user['client-certificate-data'], 'base64').toString('utf8'));
    };
    const admin = await clientCert('admin');
    assert.deepEqual(admin.organizations, ['kubeadm:cluster-admins']);
    const lifetimeHours = (admin.notAfter.getTime() - Date.now()) / 3_600_000;
    assert.ok(lifetimeHours > 23 && lifetimeHours <= 24, `admin certificate valid for ${lifetimeHours.toFixed(2)} h from now`);
    assert.deepEqual((await clientCert('superadmin')).organizations, ['system:masters']);
  });

  it("makes zero writes on a second pass (counted by the API server's audit log, resourceVersions unchanged)", async () => {
    const before = await ownedObjects(kc, NS, 'alpha');
    const bcBefore = (await readCluster(kc, NS, 'alpha')).metadata!.resourceVersion;
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    assertWriteCount(await operatorWrites(() => r.reconcile(`${NS}/alpha`)), 0, 'a steady-state pass');
    assert.ok(r.metaApplier.reads > 10, 'the pass did read the world');
    assert.deepEqual(await ownedObjects(kc, NS, 'alpha'), before);
    assert.equal((await readCluster(kc, NS, 'alpha')).metadata!.resourceVersion, bcBefore);
  });

  it('a cluster operator started afresh (its caches filled by a LIST, not by watch events) writes nothing', async () => {
    const before = await ownedObjects(kc, NS, 'alpha');
    const clusters = (await listObjects(makeObjectApi(kc), 'kokpit.dev/v1alpha1', 'BusinessCluster', { namespace: NS })).length;
    let op: ClusterOperator | undefined;
    const writes = await operatorWrites(async () => {
      op = await startClusterOperator({ kc, waitRequeueMs: 1000 });
      try {
        await waitFor(`a pass over each of ${clusters} clusters`, async () => op!.controller.stats.reconciles >= clusters || undefined, {
          timeoutMs: 60_000,
        });
      } finally {
        await op.stop();
      }
    });
    // Seen failing (15 writes: every Secret, Service and Deployment re-applied) before list items got their kind.
    assertWriteCount(writes, 0, "a restarted operator's first pass");
    assert.ok(op!.reconciler.metaApplier.cacheHits > 10, `read from the watch caches (${op!.reconciler.metaApplier.cacheHits} hits)`);
    assert.deepEqual(await ownedObjects(kc, NS, 'alpha'), before);
  });

  it('re-issues only what a change needs: a new certSAN replaces the serving cert and rolls the apiserver', async () => {
    const before = new Map((await ownedObjects(kc, NS, 'alpha')).map((o) => [`${o.kind}/${o.name}`, o.resourceVersion]));
    await create(
      'alpha',
      sharedSpec({ apiServer: { service: { type: 'NodePort' }, certSANs: ['api.example.test', '192.0.2.10', 'new.example.test'] } }),
    );
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    await r.reconcile(`${NS}/alpha`);
    const after = new Map((await ownedObjects(kc, NS, 'alpha')).map((o) => [`${o.kind}/${o.name}`, o.resourceVersion]));
    const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort();
    // The controller-manager and scheduler mount neither the serving cert nor its hash: they stay.
    assert.deepEqual(changed, ['Deployment/alpha-apiserver', 'Secret/alpha-apiserver-serving']);
  });

  it('rotates leaf certificates and kubeconfigs on request (annotation), never the CAs', async () => {
    const before = new Map((await ownedObjects(kc, NS, 'alpha')).map((o) => [`${o.kind}/${o.name}`, o.resourceVersion]));
    await applyObject(
      makeObjectApi(kc),
      {
        apiVersion: 'kokpit.dev/v1alpha1',
        kind: 'BusinessCluster',
        metadata: { name: 'alpha', namespace: NS, annotations: { 'kokpit.dev/rotate-certificates': 'r1' } },
      },
      { fieldManager: 'test-user' },
    );
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    await r.reconcile(`${NS}/alpha`);
    const after = new Map((await ownedObjects(kc, NS, 'alpha')).map((o) => [`${o.kind}/${o.name}`, o.resourceVersion]));
    const unchanged = [...after.keys()].filter((k) => after.get(k) === before.get(k)).sort();
    assert.deepEqual(unchanged, ['Secret/alpha-ca', 'Secret/alpha-front-proxy-ca', 'Secret/alpha-sa', 'Service/alpha-apiserver']);
    const again = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    assertWriteCount(await operatorWrites(() => again.reconcile(`${NS}/alpha`)), 0, 'a handled rotation request is not repeated');
  });

  it('refuses a downgrade: condition and event, the running control plane untouched', async () => {
    const before = await ownedObjects(kc, NS, 'alpha');
    await create(
      'alpha',
      sharedSpec({
        version: 'v1.32.13',
        apiServer: { service: { type: 'NodePort' }, certSANs: ['api.example.test', '192.0.2.10', 'new.example.test'] },
      }),
    );
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    await r.reconcile(`${NS}/alpha`);
    const st = (await readCluster(kc, NS, 'alpha')).status!;
    const c = st.conditions!.find((x) => x.type === 'CatalogValid')!;
    assert.equal(c.reason, 'DowngradeRefused');
    assert.equal(c.message, 'spec.version v1.32.13 is older than the running v1.33.13; downgrades are not supported');
    assert.deepEqual(await ownedObjects(kc, NS, 'alpha'), before, 'nothing rendered for a refused version');
    assert.ok((await eventsFor(kc, NS, 'alpha')).some((e) => e.reason === 'DowngradeRefused'));
    // Back to the running version: accepted again.
    await create(
      'alpha',
      sharedSpec({ apiServer: { service: { type: 'NodePort' }, certSANs: ['api.example.test', '192.0.2.10', 'new.example.test'] } }),
    );
    await r.reconcile(`${NS}/alpha`);
    assert.equal((await readCluster(kc, NS, 'alpha')).status!.conditions!.find((x) => x.type === 'CatalogValid')!.status, 'True');
  });

  it('refuses an unknown version with a condition naming the available ones, an event, and no objects', async () => {
    await create('badver', { ...sharedSpec(), version: 'v1.31.4' });
    const r = new ClusterReconciler({ kc });
    await r.reconcile(`${NS}/badver`);
    const st = (await readCluster(kc, NS, 'badver')).status!;
    const c = st.conditions!.find((x) => x.type === 'CatalogValid')!;
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'VersionNotInCatalog');
    assert.equal(c.message, 'version v1.31.4 is not in the version catalog; available: v1.32.13, v1.33.13');
    assert.equal(st.phase, 'Pending');
    assert.deepEqual(await ownedObjects(kc, NS, 'badver'), []);
    const events = await eventsFor(kc, NS, 'badver');
    assert.ok(
      events.some((e) => e.reason === 'VersionNotInCatalog' && e.message === c.message),
      'a Warning event with the same message',
    );
  });

  it('reports a missing shared etcd and overlapping CIDRs precisely, creating nothing', async () => {
    await create('noetcd', { version: 'v1.33.13', etcd: { clusterRef: { name: 'missing' } } });
    await create('overlap', { ...sharedSpec(), network: { serviceCIDR: '10.0.0.0/8', podCIDR: '10.244.0.0/16' } });
    const r = new ClusterReconciler({ kc });
    await r.reconcile(`${NS}/noetcd`);
    await r.reconcile(`${NS}/overlap`);
    const etcdCond = (await readCluster(kc, NS, 'noetcd')).status!.conditions!.find((x) => x.type === 'EtcdReady')!;
    assert.equal(etcdCond.reason, 'EtcdClusterNotFound');
    assert.equal(etcdCond.message, `EtcdCluster ${NS}/missing (spec.etcd.clusterRef) does not exist`);
    const netCond = (await readCluster(kc, NS, 'overlap')).status!.conditions!.find((x) => x.type === 'NetworkValid')!;
    assert.equal(netCond.reason, 'InvalidNetwork');
    assert.match(netCond.message!, /serviceCIDR 10\.0\.0\.0\/8 overlaps spec\.network\.podCIDR 10\.244\.0\.0\/16/);
    assert.deepEqual(await ownedObjects(kc, NS, 'noetcd'), []);
    assert.deepEqual(await ownedObjects(kc, NS, 'overlap'), []);
  });

  it('a NodePort already taken: a precise condition, and no certificates or Deployments behind it', async () => {
    await create('np-first', { ...sharedSpec(), apiServer: { service: { type: 'NodePort', nodePort: 31999 } } });
    await create('np-second', { ...sharedSpec(), apiServer: { service: { type: 'NodePort', nodePort: 31999 } } });
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    await r.reconcile(`${NS}/np-first`);
    await r.reconcile(`${NS}/np-second`);
    const c = (await readCluster(kc, NS, 'np-second')).status!.conditions!.find((x) => x.type === 'APIServerAvailable')!;
    assert.equal(c.reason, 'ServiceRejected');
    assert.match(c.message!, /np-second-apiserver: .*31999.*already allocated/);
    assert.deepEqual(await ownedObjects(kc, NS, 'np-second'), []);
  });

  it('managed etcd: creates an owned EtcdCluster and waits (requeue) until it is Available', async () => {
    const bc = await create('managed', { version: 'v1.33.13', etcd: { managed: { replicas: 1 } } });
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    assert.deepEqual(await r.reconcile(`${NS}/managed`), { requeueAfterMs: 1000 });
    const owned = await ownedObjects(kc, NS, 'managed');
    assert.deepEqual(
      owned.map((o) => `${o.kind}/${o.name}`),
      ['EtcdCluster/managed-etcd'],
    );
    assert.equal(owned[0].owners[0].uid, bc.metadata!.uid);
    const cond = (await readCluster(kc, NS, 'managed')).status!.conditions!.find((x) => x.type === 'EtcdReady')!;
    assert.equal(cond.reason, 'EtcdNotAvailable');
    const etcdObj = await readObject<any>(makeObjectApi(kc), {
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'EtcdCluster',
      metadata: { name: 'managed-etcd', namespace: NS },
    });
    assert.equal(etcdObj.spec.version, '3.5.35', "the catalog's recommended etcd");
  });

  it('kokpit versions add -f / list: a version added at run time is usable at once; a bad file applies nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-versions-'));
    try {
      const good = path.join(dir, 'v1.34.yaml');
      fs.writeFileSync(good, stringify(kubernetesVersion('v1.34.2', 'Preview')));
      const bad = path.join(dir, 'bad.yaml');
      fs.writeFileSync(bad, stringify({ ...kubernetesVersion('v1.35.0'), spec: { ...kubernetesVersion('v1.35.0').spec, state: 'Maybe' } }));
      const run = async (...argv: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd: dir });
        return { code, out: out.join('\n'), err: err.join('\n') };
      };
      const rejected = await run('versions', 'add', '-f', good, '-f', bad, '--kubeconfig', cp.kubeconfigPath);
      assert.equal(rejected.code, 1);
      assert.match(rejected.err, /bad\.yaml:\d+:\d+: .*Maybe/);
      assert.match(rejected.err, /nothing was applied/);
      assert.doesNotMatch((await run('versions', 'list', '--kubeconfig', cp.kubeconfigPath)).out, /v1\.34\.2/);

      const added = await run('versions', 'add', '-f', good, '--kubeconfig', cp.kubeconfigPath);
      assert.equal(added.code, 0, added.err);
      assert.equal(added.out, 'kubernetesversion/v1.34.2 applied (Preview)');
      const list = await run('versions', 'list', '--kubeconfig', cp.kubeconfigPath);
      assert.equal(list.out.split('\n')[0].replace(/\s+/g, ' '), 'VERSION STATE ETCD (MIN / RECOMMENDED)');
      assert.deepEqual(
        list.out
          .split('\n')
          .slice(1)
          .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
        ['v1.32.13 Supported', 'v1.33.13 Supported', 'v1.34.2 Preview'],
      );

      await create('preview', { ...sharedSpec(), version: 'v1.34.2' });
      await new ClusterReconciler({ kc }).reconcile(`${NS}/preview`);
      const c = (await readCluster(kc, NS, 'preview')).status!.conditions!.find((x) => x.type === 'CatalogValid')!;
      assert.equal(c.status, 'True');
      assert.equal(c.message, 'v1.34.2 is Preview');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cluster naming a version the catalog lacks goes on once it is added (the operator reads the catalog from its watch)', async () => {
    const op = await startClusterOperator({ kc, waitRequeueMs: 1000 });
    const objects = makeObjectApi(kc);
    const version = { apiVersion: 'kokpit.dev/v1alpha1', kind: 'KubernetesVersion', metadata: { name: 'v1.34.7' } };
    // An etcd that does not exist: the pass stops there once the version is accepted, creating nothing.
    const later = { ...sharedSpec(), version: 'v1.34.7', etcd: { clusterRef: { name: 'not-there' } } };
    const catalogValid = async () => (await readCluster(kc, NS, 'later')).status?.conditions?.find((x) => x.type === 'CatalogValid');
    try {
      await create('later', later);
      await waitFor('the unknown version refused', async () => ((await catalogValid())?.status === 'False' ? true : undefined), {
        timeoutMs: 60_000,
      });
      // A refused version asks for no requeue: only the KubernetesVersion's watch event can pass the cluster again.
      await applyObject(objects, kubernetesVersion('v1.34.7', 'Preview') as never, { fieldManager: 'kokpit-test' });
      await waitFor('the added version accepted', async () => ((await catalogValid())?.status === 'True' ? true : undefined), {
        timeoutMs: 60_000,
      });
    } finally {
      await op.stop();
      await deleteObject(objects, {
        apiVersion: 'kokpit.dev/v1alpha1',
        kind: 'BusinessCluster',
        metadata: { name: 'later', namespace: NS },
      });
      await deleteObject(objects, version);
    }
  });

  it("deletion with a shared etcd: the finalizer removes exactly the cluster's keys, then lets go", async () => {
    await create('doomed', sharedSpec());
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    await r.reconcile(`${NS}/doomed`);
    assert.deepEqual((await readCluster(kc, NS, 'doomed')).metadata!.finalizers, ['kokpit.dev/etcd-prefix-cleanup']);
    // Keys as its apiserver would have written them, and a neighbour whose name extends ours.
    await etcdPut(etcd, `/kokpit/${NS}/doomed/namespaces/default`, 'x');
    await etcdPut(etcd, `/kokpit/${NS}/doomed/pods/default/p`, 'x');
    await etcdPut(etcd, `/kokpit/${NS}/doomed2/namespaces/default`, 'keep');
    assert.equal(await etcdCount(etcd, `/kokpit/${NS}/doomed`), 2);
    await makeObjectApi(kc).delete({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'BusinessCluster',
      metadata: { name: 'doomed', namespace: NS },
    });
    assert.ok((await readCluster(kc, NS, 'doomed')).metadata!.deletionTimestamp, 'held by the finalizer');
    await r.reconcile(`${NS}/doomed`);
    assert.equal(await etcdCount(etcd, `/kokpit/${NS}/doomed`), 0, "the cluster's keys are gone");
    assert.equal(await etcdCount(etcd, `/kokpit/${NS}/doomed2`), 1, "the neighbour's are not");
    await waitFor(
      'BusinessCluster gone',
      async () =>
        (await readObject(makeObjectApi(kc), {
          apiVersion: 'kokpit.dev/v1alpha1',
          kind: 'BusinessCluster',
          metadata: { name: 'doomed', namespace: NS },
        }))
          ? undefined
          : true,
      { timeoutMs: 10_000 },
    );
  });

  it('paused: no writes and no objects', async () => {
    await create('paused', { ...sharedSpec(), paused: true });
    const r = new ClusterReconciler({ kc });
    assertWriteCount(await operatorWrites(() => r.reconcile(`${NS}/paused`)), 0, 'a pass over a paused cluster');
    assert.deepEqual(await ownedObjects(kc, NS, 'paused'), []);
  });
});
