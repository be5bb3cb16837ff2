// Pure pieces of `kokpit status` / `kokpit get` / `kokpit up --config`: tables, etcd health, machines,
// resource names, and kokpit.yaml loading (validated like every other kind).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatObjects, resolveResource } from '../../../src/cli/commands/get';
import { etcdHealth, machinesOf } from '../../../src/cli/commands/status';
import { loadEnvironmentConfig } from '../../../src/local/config';

const bc = {
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'BusinessCluster',
  metadata: { name: 'sample', namespace: 'default', creationTimestamp: new Date(Date.now() - 90_000).toISOString() },
  spec: { version: 'v1.33.13', etcd: { managed: { replicas: 1 } } },
  status: { phase: 'Running', version: 'v1.33.13', endpoint: 'https://127.0.0.1:30736', conditions: [{ type: 'Ready', status: 'True' }] },
} as never;
const etcd = {
  metadata: { name: 'sample-etcd', namespace: 'default' },
  spec: { replicas: 1 },
  status: { readyMembers: 1, phase: 'Running', conditions: [{ type: 'Available', status: 'True' }] },
} as never;

describe('cli: status and get output', () => {
  it('a table of clusters like kubectl, wide adds etcd and conditions', () => {
    const lines = formatObjects('clusters', [bc], undefined).split('\n');
    assert.match(lines[0], /^NAMESPACE\s+NAME\s+PHASE\s+VERSION\s+READY\s+ENDPOINT\s+AGE$/);
    // The cluster was 90 s old when the file loaded; a loaded machine may start this test much later (118 s seen).
    assert.match(lines[1], /^default\s+sample\s+Running\s+v1\.33\.13\s+True\s+https:\/\/127\.0\.0\.1:30736\s+\d+s$/);
    assert.match(formatObjects('clusters', [bc], 'wide').split('\n')[1], /managed\(1\)/);
    assert.equal(formatObjects('machines', [], undefined), 'No machines found.');
  });
  it('json and yaml are Lists with kind and apiVersion on every item', () => {
    const list = JSON.parse(formatObjects('clusters', [bc], 'json'));
    assert.equal(list.kind, 'List');
    assert.equal(list.items[0].kind, 'BusinessCluster');
    assert.match(formatObjects('clusters', [bc], 'yaml'), /^apiVersion: v1\nkind: List\nitems:\n/);
  });
  it('etcd health and machines per business cluster', () => {
    assert.equal(etcdHealth(bc, [etcd]), '1/1 healthy');
    assert.equal(etcdHealth(bc, []), 'sample-etcd: missing');
    assert.equal(machinesOf(bc, undefined), 'n/a');
    assert.equal(
      machinesOf(bc, [
        { metadata: { namespace: 'default' }, spec: { clusterRef: { name: 'sample' } }, status: { phase: 'Running' } } as never,
      ]),
      '1/1 running',
    );
  });
  it('resource names and aliases', () => {
    assert.equal(resolveResource('bc'), 'clusters');
    assert.equal(resolveResource('etcdclusters'), 'etcd');
    assert.throws(() => resolveResource('pods'), /unknown resource "pods": one of clusters, etcd, machines, versions, addons/);
  });
});

describe('kokpit.yaml (LocalEnvironment)', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-envcfg-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  it('reads name, runtime, ports and business clusters with defaults', () => {
    const f = path.join(dir, 'kokpit.yaml');
    fs.writeFileSync(
      f,
      'apiVersion: kokpit.dev/v1alpha1\nkind: LocalEnvironment\nmetadata:\n  name: dev\nspec:\n  metaCluster:\n    name: dev\n' +
        '    runtime: Sandbox\n  businessClusters:\n    - name: one\n      spec:\n        version: v1.33.13\n        etcd:\n' +
        '          managed: {}\n',
    );
    const cfg = loadEnvironmentConfig(f);
    assert.equal(cfg.name, 'dev');
    assert.equal(cfg.runtime, 'Sandbox');
    assert.deepEqual(cfg.ports, { start: 36443, count: 10 });
    assert.equal(cfg.businessClusters[0].name, 'one');
    assert.equal(cfg.ocm, false);
    assert.equal(cfg.podNetwork, 'Auto');
  });
  it('reads metaCluster.ocm (as --with-ocm) and metaCluster.podNetwork, and refuses an unknown pod network', () => {
    const f = path.join(dir, 'ocm.yaml');
    const doc = (extra: string) =>
      'apiVersion: kokpit.dev/v1alpha1\nkind: LocalEnvironment\nmetadata:\n  name: dev\nspec:\n  metaCluster:\n' + extra;
    fs.writeFileSync(f, doc('    ocm: true\n    podNetwork: Netns\n'));
    const cfg = loadEnvironmentConfig(f);
    assert.equal(cfg.ocm, true);
    assert.equal(cfg.podNetwork, 'Netns');
    fs.writeFileSync(f, doc('    podNetwork: Bridge\n'));
    assert.throws(() => loadEnvironmentConfig(f), /ocm\.yaml:7:\d+: .*(Auto|Loopback|Netns)/);
  });
  it('refuses an invalid file with file:line:col messages', () => {
    const f = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      f,
      'apiVersion: kokpit.dev/v1alpha1\nkind: LocalEnvironment\nmetadata:\n  name: dev\nspec:\n  metaCluster:\n    runtime: Docker\n',
    );
    assert.throws(() => loadEnvironmentConfig(f), /is not a valid LocalEnvironment:\n {2}.*bad\.yaml:7:\d+: /);
  });
});
