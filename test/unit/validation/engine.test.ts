// validateText: ranges, paths, multi-document handling and the rules a schema cannot express.
import assert from 'node:assert/strict';
import { validateText, type Diagnostic } from '../../../src/validation';

const HEAD = 'apiVersion: kokpit.dev/v1alpha1\n';
const bc = (spec: string, name = 'dev') => `${HEAD}kind: BusinessCluster\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
const ETCD = '  etcd:\n    managed:\n      replicas: 1\n';
const brief = (ds: Diagnostic[]) => ds.map((d) => `${d.line}:${d.column}-${d.endLine}:${d.endColumn} ${d.severity} ${d.code} ${d.path}`);

describe('validateText', () => {
  it('points at the exact key or value at fault, with 1-based positions, 0-based offsets and the JSON path', () => {
    const text = bc(`  version: v1.32.13\n${ETCD}  apiServer:\n    service:\n      nodePort: 80\n`);
    const [d] = validateText(text);
    assert.equal(d.code, 'node-port');
    assert.equal(d.path, 'spec.apiServer.service.nodePort');
    assert.deepEqual([d.line, d.column, d.endLine, d.endColumn], [12, 17, 12, 19]);
    assert.equal(text.slice(d.offset, d.endOffset), '80');
  });

  it('reports each document of a stream at its own lines, and keeps going after a syntax error', () => {
    const text = [
      `${HEAD}kind: EtcdCluster\nmetadata:\n  name: a\nspec:\n  replicas: 2\n`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_Checked\ndata: {x: 1}\n',
      `${HEAD}kind: EtcdCluster\nmetadata:\n  name: b\nspec:\n  replicas: [3\n`,
      `${HEAD}kind: EtcdCluster\nmetadata:\n  name: c\nspec:\n  replicas: 3\n  replicas: 5\n`,
    ].join('---\n');
    const found = validateText(text);
    assert.deepEqual(
      found.map((d) => [d.document, d.code, d.line]),
      [
        [0, 'even-replicas', 6],
        [2, 'yaml-syntax', 20],
        [3, 'duplicate-key', 27],
      ],
    );
  });

  it('an even member count is one finding (the semantic rule replaces the enum error)', () => {
    const found = validateText(`${HEAD}kind: EtcdCluster\nmetadata:\n  name: a\nspec:\n  replicas: 4\n`);
    assert.deepEqual(brief(found), ['6:13-6:14 error even-replicas spec.replicas']);
    assert.match(found[0].message, /use 3/);
  });

  it('etcd: both clusterRef and managed, or neither, is an error on spec.etcd', () => {
    const both = validateText(bc('  version: v1.32.13\n  etcd:\n    clusterRef: {name: shared}\n    managed: {replicas: 1}\n'));
    assert.deepEqual(brief(both), ['7:3-7:7 error etcd-binding spec.etcd']);
    const neither = validateText(bc('  version: v1.32.13\n  etcd: {}\n'));
    assert.deepEqual(brief(neither), ['7:3-7:7 error etcd-binding spec.etcd']);
  });

  it('unknown fields get "did you mean" for near misses and the allowed list otherwise', () => {
    const near = validateText(bc(`  version: v1.32.13\n${ETCD}  netwrok: {}\n`));
    assert.match(near[0].message, /unknown field "netwrok" in spec; did you mean "network"\?/);
    const far = validateText(`${HEAD}kind: EtcdBackup\nmetadata:\n  name: a\nspec:\n  etcdClusterRef:\n    name: x\n    zzz: 1\n`);
    assert.match(far[0].message, /unknown field "zzz" in spec\.etcdClusterRef \(allowed: name\)/);
  });

  it('CIDRs: invalid, overlapping (also with the default), IPv6 and dual-stack', () => {
    const net = (n: string) => validateText(bc(`  version: v1.32.13\n${ETCD}  network:\n${n}`)).map((d) => d.code);
    assert.deepEqual(net('    serviceCIDR: 10.96.0.0/12\n    podCIDR: 10.244.0.0/16\n'), []);
    assert.deepEqual(net('    serviceCIDR: 10.96.0.0/12\n    podCIDR: 10.96.128.0/17\n'), ['cidr-overlap']);
    assert.deepEqual(net('    podCIDR: 10.100.0.0/16\n'), ['cidr-overlap']);
    assert.deepEqual(net('    serviceCIDR: 10.96.0.0\n'), ['cidr']);
    assert.deepEqual(net('    serviceCIDR: 010.96.0.0/12\n'), ['cidr']);
    assert.deepEqual(net('    serviceCIDR: fd00:10:96::/108\n    podCIDR: fd00:10:244::/56\n'), []);
    assert.deepEqual(net('    serviceCIDR: fd00::/108,fd01::/108\n'), ['cidr']);
    assert.deepEqual(net('    serviceCIDR: 10.96.0.0/12,fd00:10:96::/108\n    podCIDR: 10.244.0.0/16,fd00:10:96::/112\n'), [
      'cidr-overlap',
    ]);
  });

  it('nodePort outside 30000-32767 is one finding', () => {
    for (const [port, codes] of [
      ['29999', ['node-port']],
      ['30000', []],
      ['32767', []],
      ['32768', ['node-port']],
    ] as const) {
      const found = validateText(bc(`  version: v1.32.13\n${ETCD}  apiServer:\n    service: {type: NodePort, nodePort: ${port}}\n`));
      assert.deepEqual(
        found.map((d) => d.code),
        codes,
        port,
      );
    }
  });

  it('names: DNS-1123 labels, and short enough for derived names', () => {
    assert.deepEqual(validateText(bc(`  version: v1.32.13\n${ETCD}`, 'a'.repeat(40))), []);
    assert.deepEqual(
      validateText(bc(`  version: v1.32.13\n${ETCD}`, 'a'.repeat(41))).map((d) => d.code),
      ['name-too-long'],
    );
    assert.deepEqual(
      validateText(bc(`  version: v1.32.13\n${ETCD}`, '-dev')).map((d) => d.code),
      ['name-format'],
    );
    // KubernetesVersion names are subdomains (v1.32.13).
    const kv =
      `${HEAD}kind: KubernetesVersion\nmetadata:\n  name: v1.34.0\nspec:\n  version: v1.34.0\n` +
      `  images: {kubeAPIServer: a, kubeControllerManager: b, kubeScheduler: c, kubeProxy: d, coreDNS: e, pause: f}\n` +
      `  etcd: {minVersion: 3.5.11, recommendedVersion: 3.5.35}\n`;
    assert.deepEqual(validateText(kv), []);
  });

  it('rollout phases: beyond 100 % and not increasing', () => {
    const ms = (phases: string) =>
      validateText(
        `${HEAD}kind: MachineSet\nmetadata:\n  name: w\nspec:\n  clusterRef: {name: dev}\n  template:\n    spec: {provider: kwok}\n` +
          `  rollout:\n    phases: ${phases}\n`,
      ).map((d) => `${d.code} ${d.path}`);
    assert.deepEqual(ms('[{percent: 10}, {percent: 100}]'), []);
    assert.deepEqual(ms('[{percent: 10}, {percent: 101}]'), ['rollout-percent spec.rollout.phases[1].percent']);
    assert.deepEqual(ms('[{percent: 50}, {percent: 50}]'), ['rollout-order spec.rollout.phases[1].percent']);
  });

  it('extraArgs keys with leading dashes, in every component', () => {
    const found = validateText(
      bc(
        `  version: v1.32.13\n${ETCD}  apiServer:\n    extraArgs: {--v: "2"}\n  controllerManager:\n    extraArgs: {-v: "2"}\n` +
          `  scheduler:\n    extraArgs: {v: "2"}\n`,
      ),
    );
    assert.deepEqual(
      found.map((d) => `${d.code} ${d.path}`),
      ['extra-args-dashes spec.apiServer.extraArgs.--v', 'extra-args-dashes spec.controllerManager.extraArgs.-v'],
    );
  });

  it('unknown Component and Addon references are warnings; same-file, shipped and passed-in definitions are known', () => {
    const machine = `${HEAD}kind: Machine\nmetadata:\n  name: m\nspec:\n  clusterRef: {name: dev}\n  components: [{name: kubelet}]\n`;
    assert.deepEqual(
      validateText(machine).map((d) => `${d.severity} ${d.code}`),
      ['warning unknown-component'],
    );
    assert.deepEqual(validateText(machine, { knownComponents: ['kubelet'] }), []);
    const def = `${HEAD}kind: Component\nmetadata:\n  name: kubelet\nspec:\n  version: v1\n  steps:\n    install: {script: x}\n`;
    assert.deepEqual(validateText(`${def}---\n${machine}`), []);
    // coredns and kube-proxy ship with kokpit.
    assert.deepEqual(validateText(bc(`  version: v1.32.13\n${ETCD}  addons: [{name: coredns}, {name: kube-proxy}]\n`)), []);
    const unknown = validateText(bc(`  version: v1.32.13\n${ETCD}  addons: [{name: coredsn}]\n`));
    assert.deepEqual(
      unknown.map((d) => d.severity),
      ['warning'],
    );
    assert.match(unknown[0].message, /did you mean "coredns"\?/);
  });

  it('version catalog membership: never a finding offline, a warning against a known catalog', () => {
    const text = bc(`  version: v1.99.0\n${ETCD}`);
    assert.deepEqual(validateText(text), []);
    const online = validateText(text, { catalogVersions: ['v1.32.13', 'v1.33.13'] });
    assert.deepEqual(
      online.map((d) => `${d.severity} ${d.code} ${d.path}`),
      ['warning unknown-version spec.version'],
    );
  });

  it('a version the catalog lists but cannot run (Unsupported, with why) is a warning naming the usable ones', () => {
    const catalog = [
      { version: 'v1.32.13', state: 'Unsupported', reason: 'kube-scheduler v1.32.13 cannot be built on this machine' },
      { version: 'v1.32.0', state: 'Supported' },
      { version: 'v1.33.13' },
    ];
    const found = validateText(bc(`  version: v1.32.13\n${ETCD}`), { catalog });
    assert.deepEqual(
      found.map((d) => `${d.severity} ${d.code} ${d.path}`),
      ['warning version-not-usable spec.version'],
    );
    assert.equal(
      found[0].message,
      "Kubernetes v1.32.13 is Unsupported in the meta cluster's version catalog (kube-scheduler v1.32.13 cannot be built on this " +
        'machine); a cluster at it will not start: use v1.32.0, v1.33.13',
    );
    assert.deepEqual(validateText(bc(`  version: v1.32.0\n${ETCD}`), { catalog }), []);
    const deprecated = [...catalog, { version: 'v1.31.9', state: 'Deprecated' }];
    assert.equal(
      validateText(bc(`  version: v1.31.9\n${ETCD}`), { catalog: deprecated })[0].message,
      "Kubernetes v1.31.9 is Deprecated in the meta cluster's version catalog; a new cluster or an upgrade to it is refused " +
        '(a cluster already running it keeps being reconciled): use v1.32.0, v1.33.13',
    );
    assert.match(
      validateText(bc(`  version: v1.31.0\n${ETCD}`), { catalog })[0].message,
      /not in the meta cluster's version catalog \(v1\.32\.0, v1\.33\.13\)/,
    );
  });

  it('non-kokpit documents are left alone; kind cluster configs are validated; unknown kokpit kinds are errors', () => {
    assert.deepEqual(validateText('apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: nope\n  bogus: 1\n'), []);
    assert.deepEqual(
      validateText('apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes:\n  - role: boss\n').map((d) => d.code),
      ['enum'],
    );
    assert.deepEqual(
      validateText(`${HEAD}kind: Etcd\nmetadata: {name: x}\n`).map((d) => d.code),
      ['unknown-kind'],
    );
  });

  it('types: quoted numbers, floats for integers, empty values', () => {
    const etcd = (spec: string) =>
      validateText(`${HEAD}kind: EtcdCluster\nmetadata:\n  name: a\nspec:\n${spec}`).map((d) => `${d.code} ${d.message}`);
    assert.match(etcd('  replicas: "3"\n')[0], /^type spec\.replicas must be an integer; got a string "3"/);
    assert.match(etcd('  replicas: 3.0\n')[0], /^type spec\.replicas must be an integer/);
    assert.match(etcd('  storage:\n')[0], /^type spec\.storage must be an object .*got an empty value/);
    assert.match(etcd('  version: 3.5\n')[0], /^type spec\.version must be a string; got a number 3\.5 — quote it/);
  });

  it('CRLF line endings keep columns right', () => {
    const text = `${HEAD}kind: EtcdCluster\nmetadata:\n  name: a\nspec:\n  replicas: 4\n`.replace(/\n/g, '\r\n');
    const [d] = validateText(text);
    assert.deepEqual([d.line, d.column, d.endColumn], [6, 13, 14]);
  });
});
