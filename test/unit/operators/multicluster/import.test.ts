// `kokpit register`'s pure parts: names and labels it accepts, the objects of an import, who owns a ManagedCluster,
// the permission message, where a ManagedCluster stands, and the kubeconfig reduced to one context with files inlined.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { joinState, readImportKubeconfig } from '../../../../src/operators/multicluster/import';
import { renderManagedCluster } from '../../../../src/operators/multicluster/render/agent';
import {
  AGENT_PERMISSIONS,
  clusterNameProblem,
  describeOwner,
  missingPermissionsMessage,
  ownerOf,
  parseLabels,
  renderImportedKubeconfig,
  renderImportedManagedCluster,
} from '../../../../src/operators/multicluster/render/import';
import type { BusinessCluster } from '../../../../src/api';

describe('multicluster import: names and labels', () => {
  it('a cluster name is a DNS label of at most 63 characters', () => {
    assert.equal(clusterNameProblem('edge-1'), undefined);
    assert.match(clusterNameProblem('Edge')!, /not a valid cluster name: lower-case letters/);
    assert.match(clusterNameProblem('-a')!, /starting and ending with a letter or digit/);
    assert.match(clusterNameProblem('a.b')!, /not a valid cluster name/);
    assert.match(clusterNameProblem('a'.repeat(64))!, /is 64 characters long; a cluster name has at most 63/);
  });

  it('--labels: key=value pairs, prefixes, empty values; bad keys, values, duplicates and kokpit keys refused', () => {
    assert.deepEqual(parseLabels('env=dev, site=lab,,example.com/tier='), { env: 'dev', site: 'lab', 'example.com/tier': '' });
    assert.deepEqual(parseLabels(undefined), {});
    assert.throws(() => parseLabels('env'), /--labels takes key=value\[,key=value…\], got "env"/);
    assert.throws(() => parseLabels('-env=dev'), /label key "-env" is not valid/);
    assert.throws(() => parseLabels('Bad_Prefix/env=dev'), /label key "Bad_Prefix\/env" is not valid/);
    assert.throws(() => parseLabels('env=a b'), /label value "a b" \(of env\) is not valid/);
    assert.throws(() => parseLabels(`env=${'v'.repeat(64)}`), /is not valid: up to 63/);
    assert.throws(() => parseLabels('kokpit.dev/namespace=fleet'), /label kokpit.dev\/namespace is kokpit's own/);
    assert.throws(() => parseLabels('app.kubernetes.io/managed-by=me'), /is kokpit's own/);
    assert.throws(() => parseLabels('env=dev,env=prod'), /label env is given twice \("dev" and "prod"\)/);
    assert.deepEqual(parseLabels('env=dev,env=dev'), { env: 'dev' });
  });
});

describe('multicluster import: objects and owners', () => {
  const bc = {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { namespace: 'fleet', name: 'a' },
    spec: { version: 'v1.33.13', etcd: {} },
  } as unknown as BusinessCluster;

  it("the ManagedCluster: the user's labels, the import marker and kokpit's label, the server, accepted, the lease", () => {
    const mc = renderImportedManagedCluster('edge-1', { env: 'dev' }, 'https://10.0.0.1:6443', 60);
    assert.deepEqual(mc.metadata, {
      name: 'edge-1',
      labels: { env: 'dev', 'kokpit.dev/imported': 'edge-1', 'app.kubernetes.io/managed-by': 'kokpit' },
      annotations: { 'kokpit.dev/imported-server': 'https://10.0.0.1:6443' },
    });
    assert.deepEqual(mc.spec, { hubAcceptsClient: true, leaseDurationSeconds: 60 });
  });

  it("the kubeconfig Secret is the agent's (same name and key), marked as the import's", () => {
    const s = renderImportedKubeconfig('edge-1', 'apiVersion: v1\n', 'https://10.0.0.1:6443');
    assert.equal(s.metadata?.name, 'edge-1-managed-kubeconfig');
    assert.equal(s.metadata?.namespace, 'open-cluster-management-agent');
    assert.equal(s.metadata?.labels?.['kokpit.dev/imported'], 'edge-1');
    assert.equal(Buffer.from(s.data!.kubeconfig, 'base64').toString(), 'apiVersion: v1\n');
  });

  it("owners: an import (with its server), a BusinessCluster's, someone else's", () => {
    const imported = ownerOf(renderImportedManagedCluster('edge-1', {}, 'https://10.0.0.1:6443', 60));
    assert.deepEqual(imported, { kind: 'import', server: 'https://10.0.0.1:6443' });
    assert.equal(describeOwner(imported), '`kokpit register` for the cluster at https://10.0.0.1:6443');
    const business = ownerOf(renderManagedCluster(bc));
    assert.deepEqual(business, { kind: 'business-cluster', namespace: 'fleet', name: 'a' });
    assert.equal(describeOwner(business), 'BusinessCluster fleet/a');
    // A BusinessCluster labelled like an import is still the BusinessCluster's.
    const faked = renderManagedCluster({ ...bc, metadata: { ...bc.metadata, labels: { 'kokpit.dev/imported': 'fleet-a' } } });
    assert.equal(ownerOf(faked).kind, 'business-cluster');
    // An import's marker must name the ManagedCluster itself.
    const renamed = renderImportedManagedCluster('edge-1', {}, 's', 60);
    renamed.metadata!.name = 'edge-2';
    assert.equal(ownerOf(renamed).kind, 'other');
    assert.equal(
      describeOwner(ownerOf({ metadata: { name: 'x', labels: { 'app.kubernetes.io/managed-by': 'rancher' } } } as never)),
      'rancher, not kokpit',
    );
    assert.equal(describeOwner(ownerOf({ metadata: { name: 'x' } } as never)), 'someone else (not kokpit)');
  });

  it('missing permissions: the user, grouped by resource, and the fix', () => {
    const missing = AGENT_PERMISSIONS.filter((p) => p.resource === 'customresourcedefinitions' || p.resource === 'nodes');
    const m = missingPermissionsMessage('alice', 'https://10.0.0.1:6443', missing);
    assert.equal(
      m,
      'user "alice" lacks permissions at https://10.0.0.1:6443 that giving the hosted OCM agent its own identity needs (cluster-wide): ' +
        'get,create,update,patch customresourcedefinitions.apiextensions.k8s.io; get,list,watch nodes. ' +
        'Use a kubeconfig of a cluster admin, or bind the user to cluster-admin there ' +
        '(kubectl create clusterrolebinding kokpit-register --clusterrole=cluster-admin --user=alice)',
    );
    assert.match(missingPermissionsMessage(undefined, 's', missing.slice(0, 1)), /^the kubeconfig's user lacks .* --user=USER\)$/);
    const sub = missingPermissionsMessage('a', 's', [
      { verb: 'patch', group: 'work.open-cluster-management.io', resource: 'appliedmanifestworks', subresource: 'status' },
    ]);
    assert.match(sub, /patch appliedmanifestworks\/status\.work\.open-cluster-management\.io/);
  });

  it('join state: Joined and Available, else what it waits for', () => {
    const mc = (conds: { type: string; status: string; message?: string }[]) => ({ status: { conditions: conds } }) as never;
    assert.deepEqual(joinState(undefined), { done: false, progress: 'waiting for the hosted agent to join' });
    assert.deepEqual(joinState(mc([{ type: 'ManagedClusterJoined', status: 'False', message: 'no lease' }])), {
      done: false,
      progress: 'waiting for the hosted agent to join (no lease)',
    });
    assert.deepEqual(joinState(mc([{ type: 'ManagedClusterJoined', status: 'True' }])), {
      done: false,
      progress: 'Joined, Available=Unknown',
    });
    assert.deepEqual(
      joinState(
        mc([
          { type: 'ManagedClusterJoined', status: 'True' },
          { type: 'ManagedClusterConditionAvailable', status: 'True' },
        ]),
      ),
      { done: true },
    );
  });
});

describe('multicluster import: the kubeconfig', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-import-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const kubeconfig = (user: string, extraContext = '') =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster: {server: "https://10.0.0.1:6443", certificate-authority: ca.pem}',
      'users:',
      `- name: u`,
      `  user: ${user}`,
      'contexts:',
      '- name: main',
      '  context: {cluster: c, user: u}',
      extraContext,
      'current-context: main',
      '',
    ].join('\n');

  it('one context, files inlined (CA, client certificate and key, relative to the file), the server kept', () => {
    write('ca.pem', 'CA');
    write('crt.pem', 'CRT');
    write('key.pem', 'KEY');
    const k = readImportKubeconfig(write('kc.yaml', kubeconfig('{client-certificate: crt.pem, client-key: key.pem}')));
    assert.equal(k.server, 'https://10.0.0.1:6443');
    assert.ok(!k.yaml.includes(dir), 'no file path left');
    const back = new KubeConfig();
    back.loadFromString(k.yaml);
    assert.deepEqual(
      back.getContexts().map((c) => c.name),
      ['imported'],
    );
    assert.equal(Buffer.from(back.getCurrentCluster()!.caData!, 'base64').toString(), 'CA');
    assert.equal(Buffer.from(back.getCurrentUser()!.certData!, 'base64').toString(), 'CRT');
    assert.equal(Buffer.from(back.getCurrentUser()!.keyData!, 'base64').toString(), 'KEY');
  });

  it('a tokenFile becomes the token; --context picks another context', () => {
    write('ca.pem', 'CA');
    write('token', 'secret-token\n');
    const other = '- name: other\n  context: {cluster: c, user: u}';
    const k = readImportKubeconfig(write('kc.yaml', kubeconfig(`{tokenFile: ${path.join(dir, 'token')}}`, other)), 'other');
    const back = new KubeConfig();
    back.loadFromString(k.yaml);
    assert.equal(back.getCurrentUser()?.token, 'secret-token');
  });

  it('an exec plugin is kept and run by kokpit itself (the agent gets its own identity)', async () => {
    write('ca.pem', 'CA');
    // A stand-in for `aws eks get-token`: prints an ExecCredential, as client-go's exec plugins do.
    const plugin = write(
      'plugin.sh',
      '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}\'\n',
    );
    fs.chmodSync(plugin, 0o755);
    const exec = write('exec.yaml', kubeconfig(`{exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}}}`));
    const k = readImportKubeconfig(exec);
    assert.equal(k.kc.getCurrentUser()?.exec?.command, plugin);
    const opts: { headers?: Record<string, string> } = {};
    await k.kc.applyToHTTPSOptions(opts as never);
    assert.equal(opts.headers?.Authorization, 'Bearer from-plugin');
  });

  it('refused with the reason: a missing file, an unknown context', () => {
    write('ca.pem', 'CA');
    assert.throws(() => readImportKubeconfig(path.join(dir, 'none.yaml')), /cannot read the kubeconfig .*none\.yaml/);
    const k = write('kc.yaml', kubeconfig('{token: t}'));
    assert.throws(() => readImportKubeconfig(k, 'nope'), /kubeconfig has no context 'nope' \(contexts: main\)/);
    fs.rmSync(path.join(dir, 'ca.pem'));
    assert.throws(() => readImportKubeconfig(k), /cannot read a file the kubeconfig .* names: .*ca\.pem/);
  });
});
