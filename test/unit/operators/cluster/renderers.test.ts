// Golden tests for the cluster renderers: whole objects, deterministic (same input → same bytes).
import * as assert from 'node:assert/strict';
import { coreDNSAddon } from '../../../../src/catalog/addons/coredns';
import { kubeProxyAddon } from '../../../../src/catalog/addons/kube-proxy';
import { kubernetesVersion } from '../../../../src/catalog';
import { AddonError, renderAddon, resolveParameters, type AddonFacts } from '../../../../src/operators/cluster/render/addons';
import { renderAPIServerDeployment, renderAPIServerService } from '../../../../src/operators/cluster/render/apiserver';
import { renderBootstrapObjects } from '../../../../src/operators/cluster/render/bootstrap';
import { SECRETS_HASH_ANNOTATION } from '../../../../src/operators/cluster/render/common';
import { renderControllerManagerDeployment, renderSchedulerDeployment } from '../../../../src/operators/cluster/render/controllers';
import { etcdPrefix, renderManagedEtcd } from '../../../../src/operators/cluster/render/etcd';
import { apiServerSANs, kubeconfigSpecs, leafSpecs, renderSecret } from '../../../../src/operators/cluster/render/pki';
import { HASHES, assertDeterministicText, assertGolden, cluster, inputs } from './fixtures';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfixture\n-----END CERTIFICATE-----\n';
const facts: AddonFacts = {
  cluster: {
    name: 'prod',
    namespace: 'team-a',
    version: 'v1.33.13',
    endpoint: 'https://203.0.113.7:6443',
    serviceCIDR: '10.96.0.0/12',
    podCIDR: '10.244.0.0/16',
    dnsDomain: 'cluster.local',
    dnsServiceIP: '10.96.0.10',
    kubernetesServiceIP: '10.96.0.1',
  },
  images: kubernetesVersion('v1.33.13').spec.images,
};

describe('cluster renderers (golden)', () => {
  const cases: Array<[string, () => unknown]> = [
    ['apiserver-service-nodeport', () => renderAPIServerService({ cluster: cluster(), serviceType: 'NodePort' })],
    ['apiserver-service-loadbalancer', () => renderAPIServerService({ cluster: cluster(), serviceType: 'LoadBalancer' })],
    ['apiserver-deployment', () => renderAPIServerDeployment(inputs())],
    ['controller-manager-deployment', () => renderControllerManagerDeployment(inputs())],
    ['scheduler-deployment', () => renderSchedulerDeployment(inputs())],
    ['managed-etcd', () => renderManagedEtcd(cluster({ etcd: { managed: { replicas: 3 } } } as never), '3.5.35')],
    [
      'bootstrap-objects',
      () =>
        renderBootstrapObjects({
          cluster: cluster(),
          version: 'v1.33.13',
          endpoint: 'https://203.0.113.7:6443',
          caPem: CA_PEM,
          dnsServiceIP: '10.96.0.10',
          etcdServers: 'https://shared-client.team-a.svc:2379',
        }),
    ],
    ['addon-coredns', () => renderAddon(coreDNSAddon, facts, resolveParameters(coreDNSAddon, { replicas: 3 }))],
    ['addon-kube-proxy', () => renderAddon(kubeProxyAddon, facts, resolveParameters(kubeProxyAddon, {}))],
    [
      'pki-plan',
      () => ({
        leaves: leafSpecs(cluster(), { serviceClusterIP: '10.0.0.42', hostEndpoint: 'https://203.0.113.7:31443' }),
        kubeconfigs: kubeconfigSpecs(cluster(), { serviceClusterIP: '10.0.0.42', hostEndpoint: 'https://203.0.113.7:31443' }),
      }),
    ],
    ['pki-secret', () => renderSecret(cluster(), 'prod-ca', 'ca', { 'tls.key': 'KEY', 'tls.crt': CA_PEM }, { type: 'kubernetes.io/tls' })],
  ];
  for (const [name, render] of cases) {
    it(`${name} matches golden/${name}.yaml, and renders the same twice`, () => {
      const a = render();
      assert.deepEqual(render(), a, 'deterministic');
      assertDeterministicText(a);
      assertGolden(name, a);
    });
  }

  it('every namespaced object of the control plane carries the controller owner reference', () => {
    for (const o of [
      renderAPIServerService({ cluster: cluster(), serviceType: 'NodePort' }),
      renderAPIServerDeployment(inputs()),
      renderControllerManagerDeployment(inputs()),
      renderSchedulerDeployment(inputs()),
    ]) {
      assert.deepEqual(o.metadata.ownerReferences, [
        {
          apiVersion: 'kokpit.dev/v1alpha1',
          kind: 'BusinessCluster',
          name: 'prod',
          uid: '11111111-2222-3333-4444-555555555555',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
  });

  it('the secret-hash annotation moves when a mounted Secret changes, and only then', () => {
    const hash = (o: unknown) =>
      (o as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations[
        SECRETS_HASH_ANNOTATION
      ];
    const base = { api: hash(renderAPIServerDeployment(inputs())), sched: hash(renderSchedulerDeployment(inputs())) };
    const servingChanged = { ...HASHES, 'prod-apiserver-serving': 'different' };
    assert.notEqual(hash(renderAPIServerDeployment(inputs(cluster(), servingChanged))), base.api, 'apiserver mounts the serving cert');
    assert.equal(hash(renderSchedulerDeployment(inputs(cluster(), servingChanged))), base.sched, 'the scheduler does not');
    assert.throws(() => renderAPIServerDeployment(inputs(cluster(), {})), /no content hash for mounted Secret/);
  });

  it(
    'apiserver flags: etcd TLS and prefix, client CA, front proxy, service accounts, bootstrap tokens, ' + 'Node+RBAC; extraArgs override',
    () => {
      const args = (renderAPIServerDeployment(inputs()) as any).spec.template.spec.containers[0].args as string[];
      for (const f of [
        '--etcd-prefix=/kokpit/team-a/prod',
        '--etcd-servers=https://shared-client.team-a.svc:2379',
        '--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt',
        '--client-ca-file=/etc/kubernetes/pki/ca/tls.crt',
        '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca/tls.crt',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--enable-bootstrap-token-auth=true',
        '--authorization-mode=Node,RBAC',
        '--v=2',
      ]) {
        assert.ok(args.includes(f), f);
      }
      assert.deepEqual([...args].sort(), args, 'sorted, so the order never changes');
    },
  );

  it('serving-certificate SANs: both Services, the ClusterIP, the host endpoint, loopback and certSANs', () => {
    const sans = apiServerSANs(cluster(), { serviceClusterIP: '10.0.0.42', hostEndpoint: 'https://lb.example:6443' });
    for (const d of [
      'kubernetes.default.svc.cluster.local',
      'prod-apiserver',
      'prod-apiserver.team-a.svc',
      'localhost',
      'lb.example',
      'api.prod.example',
    ])
      assert.ok(sans.dnsNames.includes(d), d);
    for (const ip of ['10.96.0.1', '10.0.0.42', '127.0.0.1', '203.0.113.7']) assert.ok(sans.ipAddresses.includes(ip), ip);
  });

  it(
    'node-facing endpoint (kind): its address is a SAN; the apiserver leaves `kubernetes` endpoints to the operator, ' +
      'which publishes that address',
    () => {
      const sans = apiServerSANs(cluster(), { hostEndpoint: 'https://127.0.0.1:36443', nodeEndpoint: 'https://172.18.0.2:31443' });
      for (const ip of ['127.0.0.1', '172.18.0.2']) assert.ok(sans.ipAddresses.includes(ip), ip);
      const plain = (renderAPIServerDeployment(inputs()) as any).spec.template.spec.containers[0].args as string[];
      assert.ok(!plain.some((a) => a.startsWith('--endpoint-reconciler-type')), 'default: the apiserver publishes its own address');
      const ep = { ip: '172.18.0.2', port: 31443 };
      const args = (renderAPIServerDeployment({ ...inputs(), kubernetesEndpoint: ep }) as any).spec.template.spec.containers[0]
        .args as string[];
      assert.ok(args.includes('--endpoint-reconciler-type=none'));
      // Service account discovery's key set at that address too, not at the pod IP pods cannot reach.
      assert.ok(args.includes('--service-account-jwks-uri=https://172.18.0.2:31443/openid/v1/jwks'), args.join(' '));
      assert.ok(!plain.some((a) => a.startsWith('--service-account-jwks-uri')), 'default: the apiserver derives it');
      const objs = renderBootstrapObjects({
        cluster: cluster(),
        version: 'v1.33.13',
        endpoint: 'https://172.18.0.2:31443',
        kubernetesEndpoint: ep,
        caPem: 'CA',
        dnsServiceIP: '10.96.0.10',
        etcdServers: 'https://e:2379',
      }) as any[];
      const endpoints = objs.find((o) => o.kind === 'Endpoints');
      const slice = objs.find((o) => o.kind === 'EndpointSlice');
      assert.deepEqual(
        [endpoints.metadata.namespace, endpoints.metadata.name, endpoints.metadata.labels['endpointslice.kubernetes.io/skip-mirror']],
        ['default', 'kubernetes', 'true'],
      );
      assert.deepEqual(endpoints.subsets, [
        { addresses: [{ ip: '172.18.0.2' }], ports: [{ name: 'https', port: 31443, protocol: 'TCP' }] },
      ]);
      assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kubernetes');
      assert.deepEqual(slice.endpoints, [{ addresses: ['172.18.0.2'], conditions: { ready: true } }]);
      const clusterInfo = objs.find((o) => o.metadata.name === 'cluster-info');
      assert.match(clusterInfo.data.kubeconfig, /server: https:\/\/172\.18\.0\.2:31443/);
      assert.ok(
        !renderBootstrapObjects({
          cluster: cluster(),
          version: 'v1.33.13',
          endpoint: 'https://x:1',
          caPem: 'CA',
          dnsServiceIP: '10.96.0.10',
          etcdServers: 'https://e:2379',
        }).some((o: any) => o.kind === 'Endpoints'),
      );
    },
  );

  it('etcd prefix: dedicated etcd keeps /registry; a shared one gets a prefix per cluster', () => {
    assert.equal(etcdPrefix(cluster({ etcd: { managed: { replicas: 1 } } } as never)), '/registry');
    assert.equal(etcdPrefix(cluster()), '/kokpit/team-a/prod');
  });

  it('addon parameters of the wrong type fail with the parameter named, before anything is rendered', () => {
    assert.throws(
      () => resolveParameters(coreDNSAddon, { replicas: 'two' }),
      (e: unknown) =>
        e instanceof AddonError &&
        e.reason === 'InvalidAddonParameter' &&
        /parameter "replicas" \(integer\) must be an integer, got string "two"/.test(e.message),
    );
    assert.throws(() => resolveParameters(coreDNSAddon, { replica: 2 }), /unknown parameter "replica" \(declared: replicas, upstream\)/);
  });
});
