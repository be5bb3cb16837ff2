// The multicluster operator's pure parts: ManagedCluster names, OCM's Go templates as kokpit expands them, the hub's
// objects from the copied manifests (with and without OCM's admission webhooks, their certificates), a cluster's
// ManagedCluster and its hosted agent.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { KubernetesObject, V1Deployment, V1Service, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';
import type { BusinessCluster } from '../../../../src/api';
import { containsDesired } from '../../../../src/kit';
import { createCA, issueCert, needsRenewal } from '../../../../src/pki';
import { planWebhookPKI, readOcmManifests, type WebhookPKI } from '../../../../src/operators/multicluster/hub';
import { AGENT_USER, managedClusterName } from '../../../../src/operators/multicluster/names';
import {
  multiclusterOf,
  renderAgent,
  renderManagedCluster,
  STATUS_SYNC_INTERVAL,
} from '../../../../src/operators/multicluster/render/agent';
import { REGISTRATION_FEATURE_GATES, renderHub, WORK_FEATURE_GATES } from '../../../../src/operators/multicluster/render/hub';
import {
  HUB_WEBHOOKS,
  renderTLSSecret,
  WEBHOOK_CA_SECRET,
  type SecretObject,
} from '../../../../src/operators/multicluster/render/hub-webhooks';
import { expandTemplate } from '../../../../src/operators/multicluster/render/template';
import { secretText } from '../../../../src/kube';

const ROOT = path.resolve(__dirname, '../../../..');
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const cluster = (namespace: string, name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) =>
  ({
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { namespace, name, labels },
    spec: { version: 'v1.33.13', etcd: {}, ...spec },
  }) as unknown as BusinessCluster;

describe('multicluster: ManagedCluster names', () => {
  it('<namespace>-<name> when unambiguous, a hash when the namespace has a dash or the name is too long', () => {
    assert.equal(managedClusterName('fleet', 'a'), 'fleet-a');
    const x = managedClusterName('team-a', 'x');
    const y = managedClusterName('team', 'a-x');
    assert.equal(y, 'team-a-x');
    assert.notEqual(x, y, 'team-a/x and team/a-x read the same without a hash');
    assert.match(x, /^team-a-x-[0-9a-f]{8}$/);
    const long = managedClusterName('fleet', 'n'.repeat(70));
    assert.ok(long.length <= 63 && DNS_LABEL.test(long), long);
    assert.notEqual(long, managedClusterName('fleet', 'n'.repeat(71)));
  });
});

describe('multicluster: OCM template expansion', () => {
  it('values, if/else on truthiness, and label ranges dropped', () => {
    const labels = '{{ if gt (len .Labels) 0 }}{{ range $k, $v := .Labels }}x{{ end }}{{ end }}';
    const t = `a: {{ .A }}\n{{ if .B }}b: yes{{ else }}b: no{{ end }}\n${labels}c`;
    assert.equal(expandTemplate(t, { A: '1', B: false }), 'a: 1\nb: no\nc');
    assert.equal(expandTemplate(t, { A: '1', B: true }), 'a: 1\nb: yes\nc');
    // A struct's field (the webhook configurations' `{{.RegistrationWebhook.Port}}`), given as its dotted key.
    assert.equal(expandTemplate('port: {{.RegistrationWebhook.Port}}', { 'RegistrationWebhook.Port': '9443' }), 'port: 9443');
  });
  it('refuses what it does not understand, so a new construct in a future copy is noticed', () => {
    assert.throws(() => expandTemplate('{{ .Missing }}', {}), /value missing: \{\{ \.Missing \}\}/);
    assert.throws(() => expandTemplate('{{ include "x" . }}', {}), /not supported/);
    assert.throws(() => expandTemplate('{{ if .A }}', {}), /unterminated/);
  });
});

describe('multicluster: the hub from the copied manifests', () => {
  const objects = renderHub(readOcmManifests(ROOT), { server: 'https://127.0.0.1:6443', caPEM: 'PEM' });
  it('CRDs first and each once, then namespaces, RBAC and the three controllers; no webhooks', () => {
    const kinds = objects.map((o) => o.kind);
    const firstOther = kinds.findIndex((k) => k !== 'CustomResourceDefinition');
    assert.ok(kinds.slice(firstOther).every((k) => k !== 'CustomResourceDefinition'));
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata!.name!);
    assert.equal(new Set(crds).size, crds.length);
    for (const n of ['managedclusters', 'manifestworks', 'placements', 'addonplacementscores'])
      assert.ok(
        crds.some((c) => c.startsWith(`${n}.`)),
        n,
      );
    assert.ok(!kinds.some((k) => /Webhook/.test(k!)));
    // Not asked for: nothing of the webhooks (their files are read apart from the hub's).
    assert.deepEqual(
      objects.filter((o) => /webhook/.test(o.metadata!.name!)).map((o) => `${o.kind} ${o.metadata!.name}`),
      [],
    );
    const deployments = objects.filter((o): o is V1Deployment & typeof o => o.kind === 'Deployment').map((d) => d.metadata!.name);
    assert.deepEqual(deployments, [
      'cluster-manager-registration-controller',
      'cluster-manager-placement-controller',
      'cluster-manager-work-controller',
    ]);
    assert.ok(
      objects.some(
        (o) =>
          o.kind === 'ClusterRoleBinding' &&
          (o as unknown as { subjects: { name: string }[] }).subjects[0].name === 'klusterlet-agent' &&
          o.metadata!.name === 'open-cluster-management:bootstrap:kokpit-agents',
      ),
    );
  });
  it("the work controller runs OCM's `/work manager` as work-controller-sa, bound to OCM's ManifestWorkReplicaSet role", () => {
    const work = objects.find((o) => o.metadata?.name === 'cluster-manager-work-controller') as V1Deployment;
    const pod = work.spec!.template.spec!;
    assert.equal(pod.serviceAccountName, 'work-controller-sa');
    assert.equal(pod.containers[0].image, 'quay.io/open-cluster-management/work:v1.0.0');
    assert.deepEqual(pod.containers[0].command, ['/work']);
    assert.equal(pod.containers[0].args![0], 'manager');
    assert.ok(pod.containers[0].args!.includes('--namespace=open-cluster-management-hub'));
    const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata?.name === 'work-controller-sa');
    assert.equal(sa?.metadata?.namespace, 'open-cluster-management-hub');
    const binding = objects.find(
      (o) => o.kind === 'ClusterRoleBinding' && o.metadata?.name === 'open-cluster-management:cluster-manager-work:controller',
    ) as { roleRef: { name: string }; subjects: { name: string; namespace: string }[] } | undefined;
    assert.deepEqual(binding?.subjects, [{ kind: 'ServiceAccount', name: 'work-controller-sa', namespace: 'open-cluster-management-hub' }]);
    const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata?.name === binding!.roleRef.name) as
      { rules: { resources: string[]; verbs: string[] }[] } | undefined;
    const may = (resource: string, verb: string) => role!.rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb));
    assert.ok(may('manifestworks', 'create') && may('manifestworks', 'delete') && may('manifestworkreplicasets/status', 'patch'));
    assert.ok(may('placementdecisions', 'watch'));
  });
  it("the registration controller auto-approves exactly the hosted agents' ServiceAccount", () => {
    const reg = objects.find((o) => o.metadata?.name === 'cluster-manager-registration-controller') as V1Deployment;
    const args = reg.spec!.template.spec!.containers[0].args!;
    assert.ok(args.includes('--feature-gates=ManagedClusterAutoApproval=true'));
    assert.ok(args.includes(`--auto-approved-csr-users=${AGENT_USER}`));
    assert.equal(AGENT_USER, 'system:serviceaccount:open-cluster-management-agent:klusterlet-agent');
  });
});

describe('multicluster: a cluster ManagedCluster and its hosted agent', () => {
  it('labels, hubAcceptsClient and the lease; defaults from the schema', () => {
    const c = cluster('fleet', 'a', { multicluster: { clusterSet: 'dev' } }, { env: 'dev' });
    assert.deepEqual(multiclusterOf(cluster('fleet', 'a')), { register: true, leaseDurationSeconds: 60 });
    const mc = renderManagedCluster(c);
    assert.equal(mc.metadata!.name, 'fleet-a');
    assert.deepEqual(mc.metadata!.labels, {
      env: 'dev',
      'kokpit.dev/namespace': 'fleet',
      'kokpit.dev/cluster': 'a',
      'kokpit.dev/kubernetes-version': 'v1.33.13',
      'app.kubernetes.io/managed-by': 'kokpit',
      'cluster.open-cluster-management.io/clusterset': 'dev',
    });
    assert.deepEqual(mc.spec, { hubAcceptsClient: true, leaseDurationSeconds: 60 });
  });
  it('every path the agent is given is under one of its mounts (the pod runner maps only those)', () => {
    const pod = renderAgent('fleet-a', 'h').spec!.template.spec!;
    const c = pod.containers[0];
    const mounts = c.volumeMounts!.map((m) => m.mountPath);
    const paths = [...c.args!.flatMap((a) => /=(\/[^,]*)$/.exec(a)?.[1] ?? []), c.workingDir!];
    assert.ok(paths.length >= 6);
    for (const p of paths)
      assert.ok(
        mounts.some((m) => p === m || p.startsWith(`${m}/`)),
        `${p} is under no mount`,
      );
    assert.ok(c.args!.includes('--spoke-cluster-name=fleet-a'));
    assert.ok(c.args!.includes('--hub-kubeconfig-secret=fleet-a-hub-kubeconfig'));
  });
  it("the work agent syncs status every 2 s, not OCM v1.0.0's 10 s default (feedback within the 5 s goal)", () => {
    const args = renderAgent('fleet-a', 'h').spec!.template.spec!.containers[0].args!;
    assert.deepEqual(
      args.filter((a) => a.startsWith('--status-sync-interval=')),
      ['--status-sync-interval=2s'],
    );
    assert.equal(STATUS_SYNC_INTERVAL, '2s');
  });
});

type Obj = KubernetesObject & Record<string, any>;
const ROOT_MANIFESTS = readOcmManifests(ROOT);
/** The API server's copy of what was written: the same data, plus metadata the server adds. */
const stored = (s: SecretObject): SecretObject => ({ ...structuredClone(s), metadata: { ...s.metadata, resourceVersion: '1', uid: 'u' } });
const liveFrom = (pki: WebhookPKI) => new Map(pki.secrets.map((x) => [x.desired.metadata!.name!, stored(x.desired)]));
const reader = (m: Map<string, SecretObject>) => async (name: string) => m.get(name);

describe("multicluster: the hub's admission webhooks (webhooks: true)", function () {
  this.timeout(20_000);
  let pki: WebhookPKI;
  let objects: Obj[];
  before(async () => {
    pki = await planWebhookPKI(reader(new Map()));
    objects = renderHub(ROOT_MANIFESTS, { server: 'https://127.0.0.1:6443', caPEM: 'PEM' }, { webhooks: { caPEM: pki.caPEM } }) as Obj[];
  });
  const secretOf = (name: string) => pki.secrets.find((x) => x.desired.metadata!.name === name)!.desired;
  const configs = () => objects.filter((o) => /WebhookConfiguration$/.test(o.kind!)) as (V1ValidatingWebhookConfiguration & Obj)[];

  it("renders OCM v1.0.0's webhook objects, the configurations last (after every Deployment)", () => {
    const names = (kind: string) =>
      objects.filter((o) => o.kind === kind && /webhook/.test(o.metadata!.name!)).map((o) => o.metadata!.name);
    assert.deepEqual(names('ServiceAccount').sort(), ['registration-webhook-sa', 'work-webhook-sa']);
    assert.deepEqual(names('Service').sort(), ['cluster-manager-registration-webhook', 'cluster-manager-work-webhook']);
    assert.deepEqual(names('Deployment').sort(), ['cluster-manager-registration-webhook', 'cluster-manager-work-webhook']);
    assert.deepEqual(names('ClusterRoleBinding').sort(), [
      'open-cluster-management:cluster-manager-registration:webhook',
      'open-cluster-management:cluster-manager-work:webhook',
    ]);
    assert.deepEqual(
      configs()
        .map((c) => `${c.kind} ${c.metadata!.name}`)
        .sort(),
      [
        'MutatingWebhookConfiguration managedclustermutators.admission.cluster.open-cluster-management.io',
        'ValidatingWebhookConfiguration managedclustersetbindingvalidators.admission.cluster.open-cluster-management.io',
        'ValidatingWebhookConfiguration managedclustervalidators.admission.cluster.open-cluster-management.io',
        'ValidatingWebhookConfiguration manifestworkvalidators.admission.work.open-cluster-management.io',
      ],
    );
    const lastDeployment = objects.map((o) => o.kind).lastIndexOf('Deployment');
    assert.ok(objects.slice(lastDeployment + 1).every((o) => /WebhookConfiguration$/.test(o.kind!)));
    assert.equal(objects.length - lastDeployment - 1, 4);
    // failurePolicy as OCM ships it.
    for (const c of configs()) for (const w of c.webhooks!) assert.equal(w.failurePolicy, 'Fail', c.metadata!.name);
  });

  it('every caBundle is the CA of the serving Secrets, whose certificates name <service>.<namespace>.svc', () => {
    const caPem = secretText(secretOf(WEBHOOK_CA_SECRET), 'tls.crt')!;
    assert.equal(caPem, pki.caPEM);
    for (const c of configs())
      for (const w of c.webhooks!) {
        assert.equal(Buffer.from(w.clientConfig.caBundle!, 'base64').toString('utf8'), caPem, w.name);
        const svc = w.clientConfig.service!;
        const serving = HUB_WEBHOOKS.find((x) => x.service === svc.name)!;
        const secret = secretOf(serving.secret);
        assert.equal(secret.type, 'kubernetes.io/tls');
        const verdict = needsRenewal(secretText(secret, 'tls.crt'), caPem, {
          minRemainingDays: 300,
          requiredDNS: [`${svc.name}.${svc.namespace}.svc`],
          requiredUsages: ['server'],
          keyPem: secretText(secret, 'tls.key'),
        });
        assert.deepEqual(verdict, { renew: false }, `${w.name}: ${JSON.stringify(verdict)}`);
      }
  });

  it("each configuration's Service and port reach a webhook Deployment's container port, which serves that Service's certificate", () => {
    for (const c of configs())
      for (const w of c.webhooks!) {
        const ref = w.clientConfig.service!;
        const svc = objects.find((o) => o.kind === 'Service' && o.metadata!.name === ref.name) as V1Service & Obj;
        assert.ok(svc, `${w.name}: Service ${ref.name}`);
        assert.equal(svc.metadata!.namespace, ref.namespace);
        const port = svc.spec!.ports!.find((p) => p.port === ref.port);
        assert.ok(port, `${w.name}: port ${ref.port} on Service ${ref.name}`);
        const d = objects.find(
          (o) =>
            o.kind === 'Deployment' &&
            Object.entries(svc.spec!.selector!).every(([k, v]) => (o as V1Deployment).spec!.template.metadata!.labels![k] === v),
        ) as V1Deployment & Obj;
        assert.ok(d, `${w.name}: a Deployment selected by Service ${ref.name}`);
        const pod = d.spec!.template.spec!;
        const container = pod.containers[0];
        assert.ok(container.ports!.some((p) => p.containerPort === port.targetPort));
        const volume = pod.volumes!.find((v) => v.secret)!;
        assert.equal(volume.secret!.secretName, HUB_WEBHOOKS.find((x) => x.service === ref.name)!.secret);
        const mount = container.volumeMounts!.find((m) => m.name === volume.name)!;
        assert.ok(container.args!.includes(`--certdir=${mount.mountPath}`));
      }
  });

  it("the servers run OCM's `webhook-server` with the feature gates the controllers get", () => {
    const args = (name: string) =>
      (objects.find((o) => o.kind === 'Deployment' && o.metadata!.name === name) as V1Deployment).spec!.template.spec!;
    const reg = args('cluster-manager-registration-webhook');
    assert.deepEqual(reg.containers[0].command, ['/registration']);
    assert.deepEqual(reg.containers[0].args!.slice(0, 3), ['webhook-server', 'port=9443', ...REGISTRATION_FEATURE_GATES]);
    assert.equal(reg.serviceAccountName, 'registration-webhook-sa');
    const work = args('cluster-manager-work-webhook');
    assert.deepEqual(work.containers[0].command, ['/work']);
    assert.deepEqual(work.containers[0].args!.slice(0, 3), ['webhook-server', 'port=9443', ...WORK_FEATURE_GATES]);
    assert.equal(work.serviceAccountName, 'work-webhook-sa');
    const ctrl = args('cluster-manager-registration-controller').containers[0].args!;
    for (const g of REGISTRATION_FEATURE_GATES) assert.ok(ctrl.includes(g));
    for (const pod of [reg, work]) {
      assert.equal(pod.containers[0].readinessProbe!.httpGet!.port, 8000);
      assert.ok(pod.containers[0].args!.includes('--kubeconfig=/var/run/secrets/hub/kubeconfig'));
      assert.ok(pod.containers[0].volumeMounts!.some((m) => m.mountPath === '/var/run/secrets/hub'));
    }
  });

  it('a second plan re-uses every certificate: the Secrets it would apply equal the live ones (no write)', async () => {
    const live = liveFrom(pki);
    const again = await planWebhookPKI(reader(live));
    assert.deepEqual(again.issued, []);
    assert.equal(again.caPEM, pki.caPEM);
    for (const s of again.secrets) assert.ok(containsDesired(s.live, s.desired), s.desired.metadata!.name);
  });

  it('re-issues what no longer fits: one serving certificate for another name alone; a CA near expiry, with both', async () => {
    const live = liveFrom(pki);
    const ca = { certPem: pki.caPEM, keyPem: secretText(live.get(WEBHOOK_CA_SECRET), 'tls.key')! };
    const wrong = await issueCert(ca, { commonName: 'x', dnsNames: ['other.svc'], usages: ['server'], validDays: 365 });
    live.set('work-webhook-serving-cert', stored(renderTLSSecret('work-webhook-serving-cert', wrong)));
    const one = await planWebhookPKI(reader(live));
    assert.deepEqual(
      one.issued.map((i) => i.secret),
      ['work-webhook-serving-cert'],
    );
    assert.match(one.issued[0].reason, /missing DNS SANs cluster-manager-work-webhook\.open-cluster-management-hub\.svc/);
    assert.equal(one.caPEM, pki.caPEM);

    const later = new Date(Date.now() + 3400 * 24 * 3600 * 1000); // the CA has < 365 days left
    const all = await planWebhookPKI(reader(liveFrom(pki)), later);
    assert.deepEqual(
      all.issued.map((i) => i.secret),
      [WEBHOOK_CA_SECRET, 'registration-webhook-serving-cert', 'work-webhook-serving-cert'],
    );
    assert.notEqual(all.caPEM, pki.caPEM);

    // Another CA's key beside the certificate: a new CA, never a signer that cannot sign.
    const other = await createCA('other', { validDays: 10 });
    const swapped = liveFrom(pki);
    swapped.set(WEBHOOK_CA_SECRET, stored(renderTLSSecret(WEBHOOK_CA_SECRET, { certPem: pki.caPEM, keyPem: other.keyPem })));
    assert.deepEqual((await planWebhookPKI(reader(swapped))).issued[0], {
      secret: WEBHOOK_CA_SECRET,
      reason: 'key does not match the certificate',
    });
  });
});
