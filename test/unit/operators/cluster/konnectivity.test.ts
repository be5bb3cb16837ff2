// spec.apiServer.egress: Konnectivity (render/konnectivity.ts, the konnectivity-agent addon): what the apiserver pod,
// its Service and the agents' addon become, and that the pieces agree with each other (socket path, audience,
// ServiceAccount, ports). Unset egress renders exactly what it did before: renderers.test.ts's goldens are unchanged.
import * as assert from 'node:assert/strict';
import { parse } from 'yaml';
import { findSpec } from '../../../../src/binaries/catalog';
import { defaultAddons } from '../../../../src/catalog';
import { konnectivityAgentAddon } from '../../../../src/catalog/addons/konnectivity-agent';
import { AddonError, renderAddon, resolveParameters, type AddonFacts } from '../../../../src/operators/cluster/render/addons';
import { renderAPIServerDeployment, renderAPIServerService } from '../../../../src/operators/cluster/render/apiserver';
import { SECRETS_HASH_ANNOTATION } from '../../../../src/operators/cluster/render/common';
import { controlPlaneParts } from '../../../../src/operators/cluster/render/control-plane';
import {
  KONNECTIVITY_AGENT_ADDON,
  KONNECTIVITY_AGENT_PORT,
  KONNECTIVITY_SERVER_IMAGE,
  KONNECTIVITY_UDS,
  konnectivityServerAddress,
  renderEgressSelectorSecret,
} from '../../../../src/operators/cluster/render/konnectivity';
import { resolveImage } from '../../../../src/podrunner/images';
import { kubernetesVersion } from '../../../../src/catalog';
import { HASHES, assertDeterministicText, assertGolden, cluster, inputs } from './fixtures';

type Container = { name: string; args?: string[]; command?: string[]; volumeMounts: Array<{ name: string; mountPath: string }> };
type PodSpec = { containers: Container[]; volumes: Array<{ name: string; secret?: { secretName: string }; emptyDir?: object }> };

const knp = () => cluster({ apiServer: { ...cluster().spec.apiServer, egress: 'Konnectivity' } });
const pod = (d: unknown) => (d as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const flag = (args: string[] | undefined, name: string) => args?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const facts = (extra: Partial<AddonFacts['cluster']> = {}): AddonFacts => ({
  cluster: {
    name: 'prod',
    namespace: 'team-a',
    version: 'v1.33.13',
    endpoint: 'https://172.18.0.2:31443',
    serviceCIDR: '10.96.0.0/12',
    podCIDR: '10.244.0.0/16',
    dnsDomain: 'cluster.local',
    dnsServiceIP: '10.96.0.10',
    kubernetesServiceIP: '10.96.0.1',
    ...extra,
  },
  images: kubernetesVersion('v1.33.13').spec.images,
});

describe('egress Konnectivity', () => {
  it('renders the apiserver Deployment, its Service and the agent addon as the goldens say, deterministically', () => {
    const cases: Array<[string, () => unknown]> = [
      ['apiserver-deployment-konnectivity', () => renderAPIServerDeployment(inputs(knp()))],
      ['apiserver-service-konnectivity', () => renderAPIServerService({ cluster: knp(), serviceType: 'NodePort' })],
      ['konnectivity-egress-secret', () => renderEgressSelectorSecret(knp())],
      [
        'addon-konnectivity-agent',
        () =>
          renderAddon(
            konnectivityAgentAddon,
            facts({ konnectivityServerHost: '172.18.0.2', konnectivityServerPort: 31832 }),
            resolveParameters(konnectivityAgentAddon, {}),
          ),
      ],
    ];
    for (const [name, render] of cases) {
      const a = render();
      assert.deepEqual(render(), a, `${name}: deterministic`);
      assertDeterministicText(a);
      assertGolden(name, a);
    }
  });

  it('unset egress (and Direct) render no sidecar, no second port, no egress Secret', () => {
    const direct = cluster({ apiServer: { ...cluster().spec.apiServer, egress: 'Direct' } });
    for (const c of [cluster(), direct]) {
      assert.deepEqual(
        pod(renderAPIServerDeployment(inputs(c))).containers.map((x) => x.name),
        ['kube-apiserver'],
      );
      assert.equal((renderAPIServerService({ cluster: c, serviceType: 'NodePort' }).spec as { ports: unknown[] }).ports.length, 1);
      assert.equal(
        controlPlaneParts.apiserver(c, { ...inputs(c), etcdServers: 'x', target: inputs(c).releases.apiServer } as never).length,
        1,
      );
    }
    assert.deepEqual(renderAPIServerDeployment(inputs(direct)), renderAPIServerDeployment(inputs()), 'Direct is the default');
  });

  it('the apiserver and the sidecar share the socket; the egress file is the mounted Secret; server flags agree with the addon', () => {
    const c = knp();
    const spec = pod(renderAPIServerDeployment(inputs(c)));
    const [api, server] = spec.containers;
    assert.equal(server.name, 'konnectivity-server');
    assert.deepEqual(server.command, ['/proxy-server']);
    // The socket: kube-apiserver's egress file names it, the server listens on it, both mount its emptyDir there.
    const [cm] = controlPlaneParts.apiserver(c, { ...inputs(c), etcdServers: 'x', target: inputs(c).releases.apiServer } as never).slice(1);
    assert.deepEqual(cm, renderEgressSelectorSecret(c));
    const data = (cm as unknown as { data: Record<string, string> }).data;
    const file = Object.keys(data)[0];
    const egress = parse(Buffer.from(data[file], 'base64').toString('utf8')) as {
      kind: string;
      egressSelections: Array<{ name: string; connection: { proxyProtocol: string; transport: { uds: { udsName: string } } } }>;
    };
    assert.equal(egress.kind, 'EgressSelectorConfiguration');
    assert.deepEqual(
      egress.egressSelections.map((e) => [e.name, e.connection.proxyProtocol, e.connection.transport.uds.udsName]),
      [['cluster', 'GRPC', KONNECTIVITY_UDS]],
    );
    assert.equal(flag(server.args, 'uds-name'), KONNECTIVITY_UDS);
    assert.equal(flag(server.args, 'server-port'), '0', 'UDS only: no TCP listener for the apiserver');
    const dirOf = (ct: Container, vol: string) => ct.volumeMounts.find((m) => m.name === vol)?.mountPath;
    const udsVol = spec.volumes.find((v) => v.emptyDir)!.name;
    assert.equal(dirOf(api, udsVol), dirOf(server, udsVol));
    assert.ok(KONNECTIVITY_UDS.startsWith(`${dirOf(api, udsVol)}/`));
    const egressFile = flag(api.args, 'egress-selector-config-file')!;
    const cmVol = spec.volumes.find((v) => v.secret?.secretName === cm.metadata.name)!.name;
    assert.ok(egressFile.startsWith(`${dirOf(api, cmVol)}/`), egressFile);
    assert.equal(egressFile, `${dirOf(api, cmVol)}/${file}`);
    // Agents: their token's audience, ServiceAccount and namespace are what the server checks; they dial its agent port.
    const objs = renderAddon(
      konnectivityAgentAddon,
      facts({ konnectivityServerHost: '172.18.0.2', konnectivityServerPort: 31832 }),
      resolveParameters(konnectivityAgentAddon, {}),
    );
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    const ds = objs.find((o) => o.kind === 'DaemonSet') as unknown as {
      metadata: { namespace: string };
      spec: { template: { spec: { serviceAccountName: string; hostNetwork: boolean; containers: Container[]; volumes: unknown[] } } };
    };
    const agentPod = ds.spec.template.spec;
    assert.equal(flag(server.args, 'agent-service-account'), sa.metadata.name);
    assert.equal(agentPod.serviceAccountName, sa.metadata.name);
    assert.equal(flag(server.args, 'agent-namespace'), ds.metadata.namespace);
    assert.equal(flag(server.args, 'agent-port'), String(KONNECTIVITY_AGENT_PORT));
    const audience = JSON.stringify(agentPod.volumes).match(/"audience":"([^"]+)"/)![1];
    assert.equal(flag(server.args, 'authentication-audience'), audience);
    const agentArgs = agentPod.containers[0].command!;
    assert.equal(flag(agentArgs, 'proxy-server-host'), '172.18.0.2');
    assert.equal(flag(agentArgs, 'proxy-server-port'), '31832');
    assert.equal(flag(agentArgs, 'agent-identifiers'), 'ipv4=$(HOST_IP)');
    assert.equal(flag(server.args, 'proxy-strategies'), 'destHost,default', 'destHost: a node address goes to that node’s agent');
    // The server's certificate is the apiserver's (its SANs cover the node-facing address); the cluster CA verifies it.
    assert.equal(flag(server.args, 'cluster-cert'), flag(api.args, 'tls-cert-file'));
    assert.equal(flag(agentArgs, 'ca-cert'), '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
  });

  it('the Service gets the agent port; the pod rolls when the TokenReview kubeconfig changes', () => {
    const svc = renderAPIServerService({ cluster: knp(), serviceType: 'NodePort' }) as unknown as {
      spec: { ports: Array<{ name: string; port: number; nodePort?: number }> };
    };
    assert.deepEqual(
      svc.spec.ports.map((p) => [p.name, p.port, p.nodePort]),
      [
        ['https', 6443, 31443],
        ['konnectivity', KONNECTIVITY_AGENT_PORT, undefined],
      ],
    );
    const hash = (h: Record<string, string>) =>
      (
        renderAPIServerDeployment(inputs(knp(), h)) as unknown as {
          spec: { template: { metadata: { annotations: Record<string, string> } } };
        }
      ).spec.template.metadata.annotations[SECRETS_HASH_ANNOTATION];
    assert.notEqual(hash({ ...HASHES, 'prod-scheduler-kubeconfig': 'other' }), hash(HASHES));
    assert.equal(hash({ ...HASHES, 'prod-scheduler-kubeconfig': 'other' }), hash({ ...HASHES, 'prod-scheduler-kubeconfig': 'other' }));
  });

  it('where agents dial: the node-facing host and the NodePort (or the port itself), nothing without the port', () => {
    const ports = [
      { name: 'https', port: 6443, nodePort: 31443 },
      { name: 'konnectivity', port: 8132, nodePort: 31832 },
    ];
    assert.deepEqual(konnectivityServerAddress('https://172.18.0.2:31443', { spec: { type: 'NodePort', ports } }), {
      host: '172.18.0.2',
      port: 31832,
    });
    assert.deepEqual(konnectivityServerAddress('https://lb.example:6443', { spec: { type: 'LoadBalancer', ports } }), {
      host: 'lb.example',
      port: 8132,
    });
    assert.equal(
      konnectivityServerAddress('https://172.18.0.2:31443', { spec: { type: 'NodePort', ports: ports.slice(0, 1) } }),
      undefined,
    );
  });

  it('the agent addon is shipped, and fails to render, naming the fact, for a cluster without Konnectivity', () => {
    assert.equal(konnectivityAgentAddon.metadata.name, KONNECTIVITY_AGENT_ADDON);
    assert.ok(defaultAddons().some((a) => a.metadata.name === KONNECTIVITY_AGENT_ADDON));
    assert.throws(
      () => renderAddon(konnectivityAgentAddon, facts(), resolveParameters(konnectivityAgentAddon, {})),
      (e: unknown) => e instanceof AddonError && /konnectivityServerHost \}\} is not defined/.test(e.message),
    );
  });

  it('binaries and images: both commands built on demand from hack/bins/konnectivity; the pod runner maps the images', () => {
    for (const [c, dir] of [
      ['proxy-server', 'server'],
      ['proxy-agent', 'agent'],
    ]) {
      const s = findSpec(c, 'v0.33.0')!;
      assert.deepEqual(
        [s.family, s.module, s.pkg, s.onDemand],
        ['konnectivity', 'konnectivity', `sigs.k8s.io/apiserver-network-proxy/cmd/${dir}`, true],
      );
    }
    const resolver = (component: string, version: string) => `/bin/${component}-${version}`;
    const agentImage = resolveParameters(konnectivityAgentAddon, {}).image as string;
    for (const [image, bin] of [
      [KONNECTIVITY_SERVER_IMAGE, '/bin/proxy-server-v0.33.0'],
      [agentImage, '/bin/proxy-agent-v0.33.0'],
    ]) {
      const r = resolveImage(image, resolver);
      assert.ok(r.ok, image);
      assert.deepEqual(Object.values(r.binaries), [bin]);
    }
  });
});
