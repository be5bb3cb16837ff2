// `kokpit render`: what it prints is what the reconcilers' renderers produce for the same inputs, the
// Secrets it shows are exactly the ones the PKI step writes (names and keys) with placeholder data, and
// every Secret the Deployments mount is among them. (The integration test compares with a live cluster.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_ETCD_VERSION, withDefaults, type BusinessCluster, type EtcdCluster } from '../../../src/api';
import { runCli } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/command';
import { defaultKubernetesVersions } from '../../../src/catalog';
import { names } from '../../../src/operators/cluster/names';
import { renderAPIServerDeployment, renderAPIServerService } from '../../../src/operators/cluster/render/apiserver';
import { contentHash, SECRETS_HASH_ANNOTATION } from '../../../src/operators/cluster/render/common';
import { renderControllerManagerDeployment, renderSchedulerDeployment } from '../../../src/operators/cluster/render/controllers';
import { renderManagedEtcd } from '../../../src/operators/cluster/render/etcd';
import { kubeconfigSpecs, leafSpecs } from '../../../src/operators/cluster/render/pki';
import { memberPeerURL } from '../../../src/operators/etcd/names';
import { renderMemberPod, secretHash } from '../../../src/operators/etcd/render';
import { PLACEHOLDER, RENDER_UID, renderBusinessCluster, renderEtcdCluster } from '../../../src/local/render';

const bc = (spec: Partial<BusinessCluster['spec']> = {}): BusinessCluster =>
  ({
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { name: 'demo', namespace: 'team-a' },
    spec: { version: 'v1.33.13', etcd: { managed: { replicas: 1 } }, ...spec },
  }) as BusinessCluster;

const byKindName = (objects: Array<{ kind: string; metadata: { name: string } }>, kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} rendered`);
  return o as any;
};

describe('kokpit render (offline)', () => {
  it("BusinessCluster: the Deployments, Service and EtcdCluster are the reconciler renderers' output for the same inputs", () => {
    const { objects } = renderBusinessCluster(bc());
    const c = withDefaults({ ...bc(), metadata: { ...bc().metadata, uid: RENDER_UID } });
    const release = defaultKubernetesVersions().find((v) => v.spec.version === 'v1.33.13')!.spec;
    const secrets = objects.filter((o) => o.kind === 'Secret') as unknown as Array<{
      metadata: { name: string };
      data: Record<string, string>;
    }>;
    const inputs = {
      cluster: c,
      releases: { apiServer: release, controllerManager: release, scheduler: release },
      etcd: { servers: 'https://demo-etcd-client.team-a.svc:2379', prefix: '/registry' },
      serviceType: 'NodePort' as const,
      secretHashes: Object.fromEntries(secrets.map((s) => [s.metadata.name, contentHash(s.data)])),
    };
    assert.deepEqual(byKindName(objects, 'Deployment', 'demo-apiserver'), renderAPIServerDeployment(inputs));
    assert.deepEqual(byKindName(objects, 'Deployment', 'demo-controller-manager'), renderControllerManagerDeployment(inputs));
    assert.deepEqual(byKindName(objects, 'Deployment', 'demo-scheduler'), renderSchedulerDeployment(inputs));
    assert.deepEqual(byKindName(objects, 'Service', 'demo-apiserver'), renderAPIServerService({ cluster: c, serviceType: 'NodePort' }));
    assert.deepEqual(byKindName(objects, 'EtcdCluster', 'demo-etcd'), renderManagedEtcd(c, release.etcd.recommendedVersion));
    assert.ok(byKindName(objects, 'Deployment', 'demo-apiserver').spec.template.metadata.annotations[SECRETS_HASH_ANNOTATION]);
  });

  it('shows exactly the Secrets the PKI step writes, with placeholder data only, and every mounted Secret is among them', () => {
    const { objects } = renderBusinessCluster(bc());
    const secrets = objects.filter((o) => o.kind === 'Secret') as unknown as Array<{
      metadata: { name: string; annotations?: Record<string, string> };
      data: Record<string, string>;
    }>;
    const facts = { hostEndpoint: 'https://127.0.0.1:30000' };
    const c = withDefaults({ ...bc(), metadata: { ...bc().metadata, uid: RENDER_UID } });
    const expected = [
      names.cert('demo', 'ca'),
      names.cert('demo', 'front-proxy-ca'),
      names.serviceAccountKeys('demo'),
      ...leafSpecs(c, facts).map((l) => names.cert('demo', l.purpose)),
      ...kubeconfigSpecs(c, facts).map((k) => names.kubeconfig('demo', k.purpose)),
    ].sort();
    assert.deepEqual(secrets.map((s) => s.metadata.name).sort(), expected);
    for (const s of secrets) {
      assert.equal(s.metadata.annotations?.['kokpit.dev/rendered-offline'], 'placeholder-data');
      for (const v of Object.values(s.data)) assert.equal(Buffer.from(v, 'base64').toString(), PLACEHOLDER);
    }
    const rendered = new Set(secrets.map((s) => s.metadata.name));
    for (const d of objects.filter((o) => o.kind === 'Deployment') as any[]) {
      for (const v of d.spec.template.spec.volumes)
        if (v.secret) assert.ok(rendered.has(v.secret.secretName), `${d.metadata.name} mounts ${v.secret.secretName}`);
    }
  });

  it('a shared etcd: no EtcdCluster, the apiserver points at the shared one with its own prefix', () => {
    const { objects } = renderBusinessCluster(bc({ etcd: { clusterRef: { name: 'shared' } } } as never));
    assert.equal(objects.filter((o) => o.kind === 'EtcdCluster').length, 0);
    const args: string[] =
      byKindName(objects, 'Deployment', 'demo-apiserver').spec.template.spec.containers[0].args ??
      byKindName(objects, 'Deployment', 'demo-apiserver').spec.template.spec.containers[0].command;
    assert.ok(
      args.some((a) => a === '--etcd-servers=https://shared-client.team-a.svc:2379'),
      args.join(' '),
    );
    assert.ok(
      args.some((a) => a === '--etcd-prefix=/kokpit/team-a/demo'),
      args.join(' '),
    );
  });

  it("a version outside the catalog is refused with the known versions, in the catalog step's words", () => {
    assert.throws(
      () => renderBusinessCluster(bc({ version: 'v1.20.0' })),
      /^Error: BusinessCluster demo: version v1\.20\.0 is not in the version catalog; available: v1\.32\.13, v1\.33\.13$/,
    );
  });

  it('EtcdCluster without spec.version renders at the schema default (as the API server would default it)', () => {
    const { objects } = renderEtcdCluster({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'EtcdCluster',
      metadata: { name: 'plain', namespace: 'default' },
      spec: { replicas: 1 },
    } as EtcdCluster);
    const pod = byKindName(objects, 'Pod', 'plain-0') as { spec: { containers: Array<{ image: string }> } };
    assert.equal(pod.spec.containers[0].image, `registry.k8s.io/etcd:${DEFAULT_ETCD_VERSION}-0`);
  });

  it("EtcdCluster: the seed member pod equals the etcd renderer's for the same inputs", () => {
    const ec = {
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'EtcdCluster',
      metadata: { name: 'shared', namespace: 'default' },
      spec: { replicas: 3, version: '3.5.35' },
    } as EtcdCluster;
    const { objects, notes } = renderEtcdCluster(ec);
    const c = { ...ec, metadata: { ...ec.metadata, uid: RENDER_UID } };
    const files = {
      'ca.crt': PLACEHOLDER,
      'server.crt': PLACEHOLDER,
      'server.key': PLACEHOLDER,
      'peer.crt': PLACEHOLDER,
      'peer.key': PLACEHOLDER,
    };
    const ref = { name: 'shared', namespace: 'default' };
    assert.deepEqual(
      byKindName(objects, 'Pod', 'shared-0'),
      renderMemberPod(c, {
        member: 'shared-0',
        version: '3.5.35',
        initialCluster: [{ name: 'shared-0', peerURL: memberPeerURL(ref, 'shared-0') }],
        state: 'new',
        secretHash: secretHash(files),
      }),
    );
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'Secret/shared-ca',
        'Secret/shared-client',
        'Secret/shared-0-tls',
        'Service/shared-peers',
        'Service/shared-client',
        'PersistentVolumeClaim/shared-0-data',
        'Pod/shared-0',
      ],
    );
    assert.match(notes[0], /adds members one at a time up to 3/);
  });

  describe('the command', () => {
    let dir: string;
    const io = () => {
      const out: string[] = [];
      const err: string[] = [];
      const x: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd: dir };
      return { io: x, out, err };
    };
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-render-'))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('prints YAML marked as offline with placeholder Secrets and no key material', async () => {
      fs.writeFileSync(
        path.join(dir, 'bc.yaml'),
        'apiVersion: kokpit.dev/v1alpha1\nkind: BusinessCluster\nmetadata:\n  name: demo\nspec:\n  version: v1.33.13\n' +
          '  etcd:\n    managed: {}\n',
      );
      const r = io();
      assert.equal(await runCli(['render', '-f', 'bc.yaml'], r.io), 0, r.err.join('\n'));
      const text = r.out.join('\n');
      assert.match(text, /^# Rendered offline by kokpit render \(no cluster\)\. Secrets contain PLACEHOLDER data/);
      assert.doesNotMatch(text, /BEGIN .*PRIVATE KEY/);
      const docs = parseAllDocuments(text)
        .map((d) => d.toJS())
        .filter(Boolean);
      assert.equal(docs.length, 16);
    });

    // A custom catalog prototyped offline: a version kokpit does not ship, with its own KubernetesVersion.
    const KV_1_32_4 =
      'apiVersion: kokpit.dev/v1alpha1\nkind: KubernetesVersion\nmetadata:\n  name: v1.32.4\nspec:\n  version: v1.32.4\n  images:\n' +
      '    kubeAPIServer: registry.example/kube-apiserver:v1.32.4\n    kubeControllerManager: ' +
      'registry.example/kube-controller-manager:v1.32.4\n' +
      '    kubeScheduler: registry.example/kube-scheduler:v1.32.4\n    kubeProxy: registry.example/kube-proxy:v1.32.4\n' +
      '    coreDNS: registry.example/coredns:v1.11.3\n' +
      '    pause: registry.example/pause:3.10\n  etcd:\n    minVersion: 3.5.11\n    recommendedVersion: 3.5.21\n';
    const BC_1_32_4 =
      'apiVersion: kokpit.dev/v1alpha1\nkind: BusinessCluster\nmetadata:\n  name: custom\nspec:\n  version: v1.32.4\n  etcd:\n' +
      '    managed: {}\n  addons:\n    - name: my-cni\n';
    const MY_CNI =
      'apiVersion: kokpit.dev/v1alpha1\nkind: Addon\nmetadata:\n  name: my-cni\nspec:\n  version: 0.1.0\n  manifests: |\n' +
      '    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: my-cni\n      namespace: kube-system\n';
    const renderedJSON = (out: string[]) => JSON.parse(out.join('\n')).items as any[];

    it('a version that comes with its own KubernetesVersion document in the same file renders from it (exit 0)', async () => {
      fs.writeFileSync(path.join(dir, 'custom.yaml'), `${BC_1_32_4}---\n${KV_1_32_4}---\n${MY_CNI}`);
      const r = io();
      assert.equal(await runCli(['render', '-f', 'custom.yaml', '-o', 'json'], r.io), 0, r.err.join('\n'));
      const items = renderedJSON(r.out);
      assert.equal(
        byKindName(items, 'Deployment', 'custom-apiserver').spec.template.spec.containers[0].image,
        'registry.example/kube-apiserver:v1.32.4',
      );
      assert.equal(
        byKindName(items, 'EtcdCluster', 'custom-etcd').spec.version,
        '3.5.21',
        "the managed etcd takes that entry's recommended version",
      );
    });

    it(
      '--catalog FILE and --catalog DIR add KubernetesVersion and Addon documents; the yaml output notes ' + 'the addon found there',
      async () => {
        fs.writeFileSync(path.join(dir, 'bc-only.yaml'), BC_1_32_4);
        fs.mkdirSync(path.join(dir, 'catalog'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'catalog', 'v1.32.4.yaml'), KV_1_32_4);
        fs.writeFileSync(path.join(dir, 'catalog', 'my-cni.yml'), MY_CNI);
        fs.writeFileSync(path.join(dir, 'catalog', 'README.txt'), 'not a manifest');
        fs.writeFileSync(path.join(dir, 'kv.yaml'), KV_1_32_4);
        const file = io();
        assert.equal(await runCli(['render', '-f', 'bc-only.yaml', '--catalog', 'kv.yaml'], file.io), 0, file.err.join('\n'));
        assert.match(
          file.out.join('\n'),
          /#   note: addon my-cni: no Addon definition named my-cni/,
          'the addon is not in kv.yaml nor the default catalog',
        );
        const folder = io();
        assert.equal(await runCli(['render', '-f', 'bc-only.yaml', '--catalog', 'catalog'], folder.io), 0, folder.err.join('\n'));
        assert.match(folder.out.join('\n'), /#   note: addon my-cni 0\.1\.0: applied inside the business cluster/);
        assert.match(folder.out.join('\n'), /image: registry\.example\/kube-apiserver:v1\.32\.4/);
        const missing = io();
        assert.equal(await runCli(['render', '-f', 'bc-only.yaml', '--catalog', 'nowhere'], missing.io), 2);
        assert.match(missing.err.join('\n'), /--catalog nowhere: no such file or directory/);
      },
    );

    it("a version in no catalog: exit 1 with the catalog step's message, nothing on stdout", async () => {
      fs.writeFileSync(path.join(dir, 'bc-only.yaml'), BC_1_32_4);
      const r = io();
      assert.equal(await runCli(['render', '-f', 'bc-only.yaml'], r.io), 1);
      assert.deepEqual(r.err, [
        'kokpit render: BusinessCluster custom: version v1.32.4 is not in the version catalog; available: v1.32.13, v1.33.13',
      ]);
      assert.deepEqual(r.out, []);
    });

    it('exit 1 with file:line:col for an invalid manifest; nothing rendered', async () => {
      fs.writeFileSync(
        path.join(dir, 'bad.yaml'),
        'apiVersion: kokpit.dev/v1alpha1\nkind: BusinessCluster\nmetadata:\n  name: demo\nspec:\n  version: 1.33\n' +
          '  etcd:\n    managed: {}\n',
      );
      const r = io();
      assert.equal(await runCli(['render', '-f', 'bad.yaml'], r.io), 1);
      assert.match(r.err.join('\n'), /^bad\.yaml:6:\d+: /m);
      assert.deepEqual(r.out, []);
    });
  });
});
