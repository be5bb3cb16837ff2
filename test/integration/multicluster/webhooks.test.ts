// OCM v1.0.0's own admission webhooks on kokpit's hub (installHub with `webhooks: true`), on real OCM processes run by
// the pod runner with the netns pod network, where Services get endpoints the API server dials: the registration
// webhook refuses a user without `managedclusters/accept` who accepts a cluster and defaults its cluster set, the work
// webhook refuses manifests OCM refuses, valid objects are admitted, and installing again writes nothing (the API
// server's audit log; its only mutating requests are its two dry-run probes, which store nothing).
//
// One runner node: each pod has a network namespace of its own, so OCM's two webhook servers, which both bind :8000,
// :8080 and :9443 on every address (fixed in v1.0.0), run side by side as on a real node (the first version of the
// netns network shared one namespace per runner, and the second server could not start).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api, DiscoveryV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { applyObject, KubeApiError, makeObjectApi, readObject, secretText, toKubeApiError, withUserAgent } from '../../../src/kube';
import { needsRenewal } from '../../../src/pki';
import { installHub, readOcmManifests } from '../../../src/operators/multicluster/hub';
import { HUB_NAMESPACE } from '../../../src/operators/multicluster/names';
import { HUB_WEBHOOKS, WEBHOOK_CA_SECRET, type SecretObject } from '../../../src/operators/multicluster/render/hub-webhooks';
import { startPodRunner, type PodRunner } from '../../../src/podrunner';
import { netnsUnavailable } from '../../../src/podrunner/pod-network';
import { AuditWrites, describeWrites, type AuditEvent } from '../../support/audit-writes';

const ROOT = path.resolve(__dirname, '../../..');
type MC = KubernetesObject & { spec?: { hubAcceptsClient?: boolean } };
const mcRef = (name: string) => ({ apiVersion: 'cluster.open-cluster-management.io/v1', kind: 'ManagedCluster', metadata: { name } });

const INSTALL_USER_AGENT = 'kokpit-test-install-hub';
const WORKS_NS = 'wh-works';
const USER = 'mc-editor-without-accept';
/** What OCM's registration controller marks a cluster with when ManagedClusterAutoApproval accepted it. */
const AUTO_ACCEPTED = 'open-cluster-management.io/automatically-accepted-on';
const REGISTRATION_VALIDATOR = 'managedclustervalidators.admission.cluster.open-cluster-management.io';
const WORK_VALIDATOR = 'manifestworkvalidators.admission.work.open-cluster-management.io';

/** The API server's refusal of `write`, or a failed assertion when it was admitted. */
async function refusal(write: Promise<unknown>): Promise<KubeApiError> {
  const e = await write.then(
    () => undefined,
    (err: unknown) => toKubeApiError(err),
  );
  assert.ok(e, 'admitted, but the webhook should have refused it');
  process.stderr.write(`    refused: ${e.message}\n`);
  return e;
}

const managedCluster = (name: string, spec: Record<string, unknown>) =>
  ({ apiVersion: 'cluster.open-cluster-management.io/v1', kind: 'ManagedCluster', metadata: { name }, spec }) as KubernetesObject;
const work = (name: string, manifests: unknown[]) =>
  ({
    apiVersion: 'work.open-cluster-management.io/v1',
    kind: 'ManifestWork',
    metadata: { name, namespace: WORKS_NS },
    spec: { workload: { manifests } },
  }) as KubernetesObject;

describe('multicluster: OCM admission webhooks on the hub (netns pod network)', function () {
  let cp: ControlPlane | undefined;
  const runners: PodRunner[] = [];
  let kc: KubeConfig;
  let installKc: KubeConfig;
  const stateDirs: string[] = [];
  let firstInstall: { writes: unknown[] };
  const t0 = Date.now();
  const log = (l: string) => process.stderr.write(`  [+${((Date.now() - t0) / 1000).toFixed(1)}s] ${l}\n`);
  const objects = () => makeObjectApi(kc);
  const install = () => installHub(installKc, { manifests: readOcmManifests(ROOT), webhooks: true, log, timeoutMs: 240_000 });

  before(async function () {
    this.timeout(420_000);
    const why = netnsUnavailable();
    if (why) {
      console.log(`  skipped: the netns pod network cannot run here: ${why}`);
      this.skip();
    }
    cp = await startControlPlane({ controllers: true, audit: true, log: (l) => log(`[controlplane] ${l}`) });
    kc = cp.kubeConfig();
    installKc = withUserAgent(kc, INSTALL_USER_AGENT);
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-webhooks-'));
    stateDirs.push(stateDir);
    runners.push(
      await startPodRunner({
        kubeConfig: kc,
        nodeName: 'meta-node-0',
        stateDir,
        bindUnscheduledPods: true,
        podNetwork: 'netns',
        restartBackoff: { initialMs: 500, maxMs: 5000 },
      }),
    );

    const started = Date.now();
    firstInstall = await new AuditWrites(cp).during({ userAgent: INSTALL_USER_AGENT }, install);
    log(`installHub with webhooks returned after ${((Date.now() - started) / 1000).toFixed(1)} s, ${firstInstall.writes.length} writes`);
  });

  after(async function () {
    this.timeout(120_000);
    for (const r of runners.reverse()) await r.stop().catch(() => {});
    await cp?.stop();
    for (const d of stateDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('serves both webhooks behind Services with endpoints at 198.18 pod IPs, the caBundle the CA of their serving Secrets', async () => {
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const ca = await readObject<SecretObject>(objects(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: WEBHOOK_CA_SECRET, namespace: HUB_NAMESPACE },
    });
    const caPem = secretText(ca, 'tls.crt')!;
    assert.ok(caPem);
    for (const w of HUB_WEBHOOKS) {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace: HUB_NAMESPACE,
        labelSelector: `kubernetes.io/service-name=${w.service}`,
      });
      const addresses = slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
      assert.equal(addresses.length, 1, `${w.service}: ${JSON.stringify(slices.items)}`);
      assert.match(addresses[0], /^198\.18\.\d+\.\d+$/);
      const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: HUB_NAMESPACE, labelSelector: `app=${w.deployment}` });
      assert.deepEqual(
        pods.items.map((p) => [p.status?.podIP, p.spec?.nodeName, p.status?.containerStatuses?.[0]?.restartCount]),
        [[addresses[0], 'meta-node-0', 0]],
      );
      const serving = await readObject<SecretObject>(objects(), {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: w.secret, namespace: HUB_NAMESPACE },
      });
      assert.equal(serving?.type, 'kubernetes.io/tls');
      const verdict = needsRenewal(secretText(serving, 'tls.crt'), caPem, {
        minRemainingDays: 300,
        requiredDNS: [`${w.service}.${HUB_NAMESPACE}.svc`],
        requiredUsages: ['server'],
        keyPem: secretText(serving, 'tls.key'),
      });
      assert.deepEqual(verdict, { renew: false }, w.secret);
    }
    for (const [kind, name] of [
      ['ValidatingWebhookConfiguration', REGISTRATION_VALIDATOR],
      ['MutatingWebhookConfiguration', 'managedclustermutators.admission.cluster.open-cluster-management.io'],
      ['ValidatingWebhookConfiguration', 'managedclustersetbindingvalidators.admission.cluster.open-cluster-management.io'],
      ['ValidatingWebhookConfiguration', WORK_VALIDATOR],
    ]) {
      const c = await readObject<any>(objects(), { apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name } });
      assert.ok(c, `${kind} ${name}`);
      assert.equal(Buffer.from(c.webhooks[0].clientConfig.caBundle, 'base64').toString('utf8'), caPem, name);
      assert.equal(c.webhooks[0].failurePolicy, 'Fail');
    }
  });

  it('registration webhook: accepting without managedclusters/accept refused, cluster set defaulted, the rest admitted', async function () {
    this.timeout(60_000);
    // A user who may create and update ManagedClusters, but not update register.open-cluster-management.io's accept.
    await applyObject(objects(), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: USER },
      rules: [
        {
          apiGroups: ['cluster.open-cluster-management.io'],
          resources: ['managedclusters'],
          verbs: ['get', 'list', 'create', 'update', 'patch'],
        },
        // OCM's mutating webhook puts a cluster without a set in `default`, which its validating webhook then lets
        // only a user who may join that set do.
        {
          apiGroups: ['cluster.open-cluster-management.io'],
          resources: ['managedclustersets/join'],
          resourceNames: ['default'],
          verbs: ['create'],
        },
      ],
    } as KubernetesObject);
    await applyObject(objects(), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: USER },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: USER },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: USER }],
    } as KubernetesObject);
    const as = new KubeConfig();
    as.loadFromOptions({
      clusters: kc.clusters,
      users: [{ ...kc.getCurrentUser()!, impersonateUser: USER }],
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    const user = makeObjectApi(as);
    const denied =
      `admission webhook "${REGISTRATION_VALIDATOR}" denied the request: ` + 'managedclusters/accept.cluster.open-cluster-management.io';

    const created = await refusal(applyObject(user, managedCluster('wh-accepted-by-user', { hubAcceptsClient: true })));
    assert.equal(created.statusCode, 403);
    assert.ok(
      created.message.includes(`${denied} "wh-accepted-by-user" is forbidden: user "${USER}" cannot update the HubAcceptsClient field`),
      created.message,
    );
    assert.equal(await readObject(objects(), mcRef('wh-accepted-by-user')), undefined);

    // Not accepted: admitted, and the mutating webhook puts it in OCM's default cluster set.
    await applyObject(user, managedCluster('wh-cluster', { hubAcceptsClient: false }));
    const mc = await readObject<MC>(objects(), mcRef('wh-cluster'));
    assert.equal(mc?.metadata?.labels?.['cluster.open-cluster-management.io/clusterset'], 'default');
    // kokpit's hub runs the registration controller with ManagedClusterAutoApproval: it accepts a new cluster once
    // (its own ServiceAccount may, so the webhook admits it) and marks it, and never again after a denial.
    await waitFor(
      'wh-cluster accepted once by the registration controller',
      async () => ((await readObject<MC>(objects(), mcRef('wh-cluster')))?.metadata?.annotations?.[AUTO_ACCEPTED] ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await applyObject(objects(), managedCluster('wh-cluster', { hubAcceptsClient: false })); // the admin denies it

    const updated = await refusal(applyObject(user, managedCluster('wh-cluster', { hubAcceptsClient: true })));
    assert.ok(updated.message.includes(`${denied} "wh-cluster" is forbidden: user "${USER}" cannot update the HubAcceptsClient field`));
    assert.equal((await readObject<MC>(objects(), mcRef('wh-cluster')))?.spec?.hubAcceptsClient, false);

    const url = await refusal(
      applyObject(
        user,
        managedCluster('wh-cluster', { hubAcceptsClient: false, managedClusterClientConfigs: [{ url: 'http://plain.invalid' }] }),
      ),
    );
    assert.ok(
      url.message.includes(
        `admission webhook "${REGISTRATION_VALIDATOR}" denied the request: url "http://plain.invalid" is invalid in client configs`,
      ),
    );

    // The admin may accept it.
    await applyObject(objects(), managedCluster('wh-cluster', { hubAcceptsClient: true }));
    assert.equal((await readObject<MC>(objects(), mcRef('wh-cluster')))?.spec?.hubAcceptsClient, true);
  });

  it('work webhook: a manifest without a name or with generateName, over 500 KiB in all refused; a valid work admitted', async function () {
    this.timeout(60_000);
    await applyObject(objects(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: WORKS_NS } } as KubernetesObject);
    const configMap = (metadata: Record<string, unknown>, data: Record<string, string> = { a: 'b' }) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: 'default', ...metadata },
      data,
    });
    const denied = `admission webhook "${WORK_VALIDATOR}" denied the request: `;

    const noName = await refusal(applyObject(objects(), work('no-name', [configMap({})])));
    assert.equal(noName.statusCode, 400);
    assert.ok(noName.message.includes(`${denied}name must be set in manifest`), noName.message);

    const generated = await refusal(applyObject(objects(), work('generate-name', [configMap({ name: 'x', generateName: 'x-' })])));
    assert.ok(generated.message.includes(`${denied}generateName must not be set in manifest`), generated.message);

    const big = await refusal(applyObject(objects(), work('too-big', [configMap({ name: 'big' }, { blob: 'x'.repeat(600 * 1024) })])));
    assert.match(big.message, new RegExp(`${denied}the size of manifests is \\d+ bytes which exceeds the 512000 limit`));

    for (const name of ['no-name', 'generate-name', 'too-big'])
      assert.equal(await readObject(objects(), { ...work(name, []), metadata: { name, namespace: WORKS_NS } } as never), undefined, name);
    await applyObject(objects(), work('valid', [configMap({ name: 'hello' })]));
    assert.ok(await readObject(objects(), { ...work('valid', []), metadata: { name: 'valid', namespace: WORKS_NS } } as never));
  });

  it('installing again writes nothing (the API server audit log): certificates and caBundle re-used', async function () {
    this.timeout(120_000);
    // The same filter saw the first install's writes (so it matches installHub's requests).
    assert.ok(firstInstall.writes.length > 50, `${firstInstall.writes.length} writes by the first install`);
    const { writes, result } = await new AuditWrites(cp!).during({ userAgent: INSTALL_USER_AGENT }, install);
    // Its only mutating requests are the probes: server-side dry runs (stored nothing), each refused by its webhook.
    const dryRun = (e: AuditEvent) => /[?&]dryRun=All(&|$)/.test(e.requestURI);
    assert.equal(writes.filter((e) => !dryRun(e)).length, 0, describeWrites(writes.filter((e) => !dryRun(e))));
    assert.deepEqual(
      writes.map((e) => `${e.verb} ${e.objectRef?.resource} ${e.objectRef?.name} ${e.responseStatus?.code}`),
      ['create managedclusters kokpit-webhook-probe 400', 'create manifestworks kokpit-webhook-probe 400'],
    );
    assert.ok(result.some((o) => o.kind === 'ValidatingWebhookConfiguration'));
  });
});
