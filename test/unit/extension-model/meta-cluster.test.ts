// Finding and reaching the meta cluster: kubeconfig resolution and merging, context selection that never writes
// the user's files, and one precise sentence per failure (checked against a real closed port, not a mock).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock } from '../../../src/extension/model/clock';
import {
  describeMetaClusterFailure,
  hasExplicitKubeconfig,
  kubeconfigContexts,
  kubeconfigFiles,
  loadMetaKubeConfig,
  probeMetaCluster,
} from '../../../src/extension/model/meta-cluster';

const kubeconfig = (contexts: { name: string; server: string }[], current: string) => `apiVersion: v1
kind: Config
current-context: ${current}
clusters:
${contexts.map((c) => `- name: ${c.name}\n  cluster:\n    server: ${c.server}\n    insecure-skip-tls-verify: true`).join('\n')}
users:
- name: u
  user:
    token: not-a-real-token
contexts:
${contexts.map((c) => `- name: ${c.name}\n  context:\n    cluster: ${c.name}\n    user: u`).join('\n')}
`;

describe('extension: meta cluster kubeconfig and reachability', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-meta-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('which files: the setting (with ~), else $KUBECONFIG as a path list, else ~/.kube/config', () => {
    assert.deepEqual(kubeconfigFiles('~/k.yaml', {}, '/home/u'), ['/home/u/k.yaml']);
    assert.deepEqual(kubeconfigFiles('', { KUBECONFIG: `/a${path.delimiter}/b` }, '/home/u'), ['/a', '/b']);
    assert.deepEqual(kubeconfigFiles('  ', {}, '/home/u'), ['/home/u/.kube/config']);
    assert.equal(hasExplicitKubeconfig('', {}), false);
    assert.equal(hasExplicitKubeconfig('', { KUBECONFIG: '/a' }), true);
    assert.equal(hasExplicitKubeconfig('/k', {}), true);
  });

  it('selects a context in memory only, merges files first-wins, and names missing files and contexts', () => {
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    fs.writeFileSync(a, kubeconfig([{ name: 'meta', server: 'https://127.0.0.1:1' }], 'meta'));
    fs.writeFileSync(
      b,
      kubeconfig(
        [
          { name: 'other', server: 'https://127.0.0.1:2' },
          { name: 'meta', server: 'https://127.0.0.1:3' },
        ],
        'other',
      ),
    );
    const before = fs.readFileSync(b, 'utf8');
    const kc = loadMetaKubeConfig([b], 'meta');
    assert.equal(kc.getCurrentContext(), 'meta');
    assert.equal(fs.readFileSync(b, 'utf8'), before, 'the file is not touched');
    assert.equal(loadMetaKubeConfig([a, b]).getCurrentCluster()!.server, 'https://127.0.0.1:1');
    assert.deepEqual(kubeconfigContexts([a, b]), { names: ['meta', 'other'], current: 'meta' });
    assert.throws(
      () => loadMetaKubeConfig([path.join(dir, 'none')]),
      /no kubeconfig found \(looked at .*none\); set kokpit\.kubeconfig or KUBECONFIG/,
    );
    assert.throws(() => loadMetaKubeConfig([b], 'prod'), /kubeconfig has no context 'prod' \(contexts: other, meta\)/);
  });

  it('an unreachable meta cluster is reported as such, with its address, before any watch starts', async () => {
    // A port that was just free and is closed again: connection refused, for real.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const file = path.join(dir, 'down.yaml');
    fs.writeFileSync(file, kubeconfig([{ name: 'down', server: `https://127.0.0.1:${port}` }], 'down'));
    await assert.rejects(probeMetaCluster(loadMetaKubeConfig([file]), systemClock), (e: Error) => {
      assert.equal(e.message, `cannot reach the meta cluster at https://127.0.0.1:${port}: connection refused (is it running?)`);
      assert.doesNotMatch(e.message, /not-a-real-token/);
      return true;
    });
  });

  it('a server that never answers hits the probe deadline', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => void sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    const file = path.join(dir, 'silent.yaml');
    fs.writeFileSync(file, kubeconfig([{ name: 'silent', server: `https://127.0.0.1:${port}` }], 'silent'));
    try {
      await assert.rejects(
        probeMetaCluster(loadMetaKubeConfig([file]), systemClock, 300),
        /no answer from the meta cluster at https:\/\/127\.0\.0\.1:\d+ within 0\.3 s/,
      );
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('HTTP failures become one sentence that says what to do', () => {
    // ApiException-like errors go through toKubeApiError; plain errors keep their message.
    assert.match(
      describeMetaClusterFailure(new Error('fetch failed'), 'https://h:1', 'c'),
      /the meta cluster at https:\/\/h:1 failed: fetch failed/,
    );
    assert.match(
      describeMetaClusterFailure(
        Object.assign(new Error('request failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND h'), { code: 'ENOTFOUND' }) }),
        'https://h:1',
        'c',
      ),
      /host name does not resolve/,
    );
  });
});
