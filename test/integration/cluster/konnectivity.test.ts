// spec.apiServer.egress: Konnectivity against a real meta control plane and the real konnectivity binaries: the
// reconciler writes the egress Secret, the sidecar and the Service's agent port (which the API server accepts and
// gives a NodePort), and takes them out again for Direct; the real proxy-server v0.33.0 starts with the rendered
// flags and the certificate and kubeconfig the PKI step issued (its socket appears, /healthz answers, the agent
// port presents a certificate the cluster CA verifies for 127.0.0.1); proxy-agent accepts the addon's flags.
// No pods run here (podrunner.test.ts does that); the end-to-end proof is `npm run test:conformance -- --konnectivity`.
import * as assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ensureBinaries } from '../../../src/binaries/build';
import { KONNECTIVITY_VERSION } from '../../../src/binaries/catalog';
import { konnectivityAgentAddon } from '../../../src/catalog/addons/konnectivity-agent';
import { applyObject, makeObjectApi, readObject } from '../../../src/kube';
import { renderAddon, resolveParameters } from '../../../src/operators/cluster/render/addons';
import { ClusterReconciler } from '../../../src/operators/cluster/reconciler';
import { installCRDs, startControlPlane, waitFor, type ControlPlane } from '../../../src/controlplane';
import { freePorts } from '../../../src/controlplane/wait';
import { kubernetesVersion } from '../../../src/catalog';
import {
  availableEtcdCluster,
  businessCluster,
  ensureNamespace,
  installDefaultVersions,
  ownedObjects,
  startPlainEtcd,
  type PlainEtcd,
} from './support';

const NS = 'knp-it';
type Container = { name: string; args?: string[]; command?: string[] };

describe('egress Konnectivity on a real meta control plane, with the real konnectivity binaries', function () {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let etcd: PlainEtcd;
  let bins: Record<string, string>;
  let tmp: string;
  let server: ChildProcess | undefined;

  before(async function () {
    [cp, etcd] = await Promise.all([startControlPlane({ log: (l) => process.stderr.write(`  [controlplane] ${l}\n`) }), startPlainEtcd()]);
    kc = cp.kubeConfig();
    await installCRDs(kc);
    await ensureNamespace(kc, NS);
    await installDefaultVersions(kc);
    await availableEtcdCluster(kc, NS, 'shared', etcd);
    const built = await ensureBinaries({
      requests: ['proxy-server', 'proxy-agent'].map((component) => ({ component, version: KONNECTIVITY_VERSION })),
    });
    bins = Object.fromEntries(built.map((b) => [b.spec.component, b.path]));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-knp-'));
  });
  after(async () => {
    server?.kill('SIGTERM');
    await Promise.all([cp?.stop(), etcd?.stop()]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const objects = () => makeObjectApi(kc);
  const read = <T>(apiVersion: string, kind: string, name: string) =>
    readObject<KubernetesObject>(objects(), { apiVersion, kind, metadata: { name, namespace: NS } }) as unknown as Promise<T>;
  const apply = (egress: string) =>
    applyObject(
      objects(),
      businessCluster('knp', NS, {
        version: 'v1.33.13',
        etcd: { clusterRef: { name: 'shared' } },
        apiServer: { service: { type: 'NodePort' }, egress },
      }),
      { fieldManager: 'kokpit-test' },
    );
  const secretFile = async (secret: string, key: string, file: string) => {
    const s = await read<{ data: Record<string, string> }>('v1', 'Secret', secret);
    fs.writeFileSync(path.join(tmp, file), Buffer.from(s.data[key], 'base64'), { mode: 0o600 });
    return path.join(tmp, file);
  };

  it('Konnectivity: egress Secret, sidecar and a NodePort for agents; Direct takes sidecar, port and Secret out', async () => {
    await apply('Konnectivity');
    const r = new ClusterReconciler({ kc, waitRequeueMs: 1000 });
    await r.reconcile(`${NS}/knp`);
    const owned = (await ownedObjects(kc, NS, 'knp')).map((o) => `${o.kind}/${o.name}`);
    assert.ok(owned.includes('Secret/knp-konnectivity-egress'), owned.join(', '));
    const egress = parse(
      Buffer.from(
        (await read<{ data: Record<string, string> }>('v1', 'Secret', 'knp-konnectivity-egress')).data[
          'egress-selector-configuration.yaml'
        ],
        'base64',
      ).toString(),
    ) as { egressSelections: Array<{ name: string }> };
    assert.deepEqual(
      egress.egressSelections.map((e) => e.name),
      ['cluster'],
    );
    const dep = await read<{ spec: { template: { spec: { containers: Container[] } } } }>('apps/v1', 'Deployment', 'knp-apiserver');
    assert.deepEqual(
      dep.spec.template.spec.containers.map((c) => c.name),
      ['kube-apiserver', 'konnectivity-server'],
    );
    const svc = await read<{ spec: { ports: Array<{ name: string; port: number; nodePort?: number }> } }>('v1', 'Service', 'knp-apiserver');
    const agentPort = svc.spec.ports.find((p) => p.name === 'konnectivity');
    assert.equal(agentPort?.port, 8132);
    assert.ok(agentPort!.nodePort! >= 30000 && agentPort!.nodePort! <= 32767, `NodePort assigned: ${agentPort?.nodePort}`);

    await apply('Direct');
    await r.reconcile(`${NS}/knp`);
    const dep2 = await read<{ spec: { template: { spec: { containers: Container[] } } } }>('apps/v1', 'Deployment', 'knp-apiserver');
    assert.deepEqual(
      dep2.spec.template.spec.containers.map((c) => c.name),
      ['kube-apiserver'],
    );
    const svc2 = await read<{ spec: { ports: Array<{ name: string }> } }>('v1', 'Service', 'knp-apiserver');
    assert.deepEqual(
      svc2.spec.ports.map((p) => p.name),
      ['https'],
    );
    // Nothing left behind: the egress Secret the pod no longer mounts is deleted too.
    assert.ok(!(await ownedObjects(kc, NS, 'knp')).some((o) => o.name === 'knp-konnectivity-egress'), 'egress Secret pruned');
    await apply('Konnectivity');
    await r.reconcile(`${NS}/knp`);
  });

  it('proxy-server runs with the rendered flags, the issued serving certificate and the scheduler kubeconfig', async function () {
    const dep = await read<{ spec: { template: { spec: { containers: Container[] } } } }>('apps/v1', 'Deployment', 'knp-apiserver');
    const sidecar = dep.spec.template.spec.containers.find((c) => c.name === 'konnectivity-server')!;
    const [agentPort, adminPort, healthPort] = await freePorts(3);
    const files = {
      'cluster-cert': await secretFile('knp-apiserver-serving', 'tls.crt', 'tls.crt'),
      'cluster-key': await secretFile('knp-apiserver-serving', 'tls.key', 'tls.key'),
      kubeconfig: await secretFile('knp-scheduler-kubeconfig', 'value', 'kubeconfig'),
      'uds-name': path.join(tmp, 'konnectivity-server.socket'),
      'agent-port': String(agentPort),
      'admin-port': String(adminPort),
      'health-port': String(healthPort),
    };
    // The rendered flags with this machine's paths and free ports: every other flag exactly as the sidecar has it.
    const args = sidecar.args!.map((a) => {
      const name = a.slice(2, a.indexOf('='));
      return name in files ? `--${name}=${files[name as keyof typeof files]}` : a;
    });
    assert.equal(args.filter((a, i) => a !== sidecar.args![i]).length, Object.keys(files).length, 'each replaced flag was rendered');
    let stderr = '';
    server = spawn(bins['proxy-server'], args, { stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(
      'proxy-server /healthz and its socket',
      async () => {
        if (server!.exitCode !== null) throw new Error(`proxy-server exited ${server!.exitCode}: ${stderr.slice(-2000)}`);
        const ok = await fetch(`http://127.0.0.1:${healthPort}/healthz`).then(
          (x) => x.ok,
          () => false,
        );
        return ok && fs.existsSync(files['uds-name']) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.ok(fs.statSync(files['uds-name']).isSocket());
    // Agents verify the agent port with the cluster CA (their service-account ca.crt) at the address they dial.
    const ca = fs.readFileSync(await secretFile('knp-ca', 'tls.crt', 'ca.crt'));
    const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: agentPort, ca, ALPNProtocols: ['h2'] }, () => {
        resolve(s.getPeerCertificate());
        s.end();
      });
      s.on('error', reject);
    });
    assert.equal(peer.subject.CN, 'kube-apiserver');
  });

  it('proxy-agent accepts every flag the addon renders (an unknown one makes it exit 1)', async () => {
    const objs = renderAddon(
      konnectivityAgentAddon,
      {
        cluster: {
          name: 'knp',
          namespace: NS,
          version: 'v1.33.13',
          endpoint: 'https://127.0.0.1:31443',
          serviceCIDR: '10.96.0.0/12',
          podCIDR: '10.244.0.0/16',
          dnsDomain: 'cluster.local',
          dnsServiceIP: '10.96.0.10',
          kubernetesServiceIP: '10.96.0.1',
          konnectivityServerHost: '127.0.0.1',
          konnectivityServerPort: 31832,
        },
        images: kubernetesVersion('v1.33.13').spec.images,
      },
      resolveParameters(konnectivityAgentAddon, {}),
    );
    const ds = objs.find((o) => o.kind === 'DaemonSet') as unknown as { spec: { template: { spec: { containers: Container[] } } } };
    const [cmd, ...args] = ds.spec.template.spec.containers[0].command!;
    assert.equal(cmd, '/proxy-agent');
    const run = (a: string[]) =>
      new Promise<number>((resolve) =>
        execFile(bins['proxy-agent'], a, (err) => resolve(err ? Number((err as { code?: number }).code ?? 1) : 0)),
      );
    assert.equal(await run([...args, '--help']), 0);
    assert.equal(await run([...args, '--no-such-flag=1', '--help']), 1, 'the check can fail');
  });
});
