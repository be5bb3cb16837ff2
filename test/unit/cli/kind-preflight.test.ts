// kind preflight with a PATH holding no docker or kind, and with stand-in executables that fail the
// way the real ones do; kind config generation (validated against the kind config schema).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { chooseRuntime } from '../../../src/cli/commands/up';
import {
  checkDisk,
  checkDocker,
  checkInotify,
  checkKind,
  checkPorts,
  formatPreflight,
  kindConfig,
  kindConfigYaml,
  KIND_NODEPORT_BASE,
  MIN_FREE_DISK_BYTES,
  portReservations,
  preflightPassed,
  runPreflight,
} from '../../../src/providers/kind';
import { validateText } from '../../../src/validation';

describe('kind preflight', () => {
  let dir: string;
  let emptyPath: string;
  let fakePath: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-preflight-'));
    emptyPath = path.join(dir, 'empty');
    fakePath = path.join(dir, 'fake');
    fs.mkdirSync(emptyPath);
    fs.mkdirSync(fakePath);
    const script = (name: string, body: string) => fs.writeFileSync(path.join(fakePath, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    script(
      'docker',
      'echo "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock" >&2; exit 1',
    );
    script('kind', 'echo "kind v0.17.0 go1.19.2 linux/amd64"');
    const proc = path.join(dir, 'proc/sys/fs/inotify');
    fs.mkdirSync(proc, { recursive: true });
    fs.writeFileSync(path.join(proc, 'max_user_watches'), '8192\n');
    fs.writeFileSync(path.join(proc, 'max_user_instances'), '128\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('no docker on PATH: an error that says how to install it or use the sandbox', async () => {
    const c = await checkDocker({ env: { PATH: emptyPath } });
    assert.equal(c.ok, false);
    assert.equal(c.severity, 'error');
    assert.equal(c.detail, 'docker is not on PATH');
    assert.match(c.fix!, /Install Docker Engine.*--runtime sandbox/);
  });
  it('no kind on PATH: an error naming the minimum version and how to install', async () => {
    const c = await checkKind({ env: { PATH: emptyPath } });
    assert.equal(c.ok, false);
    assert.equal(c.detail, 'kind is not on PATH');
    assert.match(c.fix!, /kind v0\.20\.0 or newer.*go install sigs\.k8s\.io\/kind/);
  });
  it('docker that cannot reach the engine (permission denied): says to join the docker group', async () => {
    const c = await checkDocker({ env: { PATH: fakePath } });
    assert.equal(c.ok, false);
    assert.match(c.detail, /not reachable .*permission denied/);
    assert.match(c.fix!, /usermod -aG docker/);
  });
  it('an old kind: says to upgrade', async () => {
    const c = await checkKind({ env: { PATH: fakePath } });
    assert.equal(c.ok, false);
    assert.match(c.detail, /kind v0\.17\.0 is older than v0\.20\.0/);
  });
  it('low inotify limits: a warning with the sysctl command', () => {
    const c = checkInotify({ procRoot: path.join(dir, 'proc') });
    assert.equal(c.ok, false);
    assert.equal(c.severity, 'warning');
    assert.match(c.fix!, /sudo sysctl fs\.inotify\.max_user_watches=524288 fs\.inotify\.max_user_instances=512/);
  });
  it('a busy reserved port: names it and how to find its owner', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const c = await checkPorts({ ports: { start: port, count: 1 } });
      assert.equal(c.ok, false);
      assert.match(c.detail, new RegExp(`host ports in use: ${port}`));
      assert.match(c.fix!, /ss -ltnp/);
    } finally {
      server.close();
    }
  });
  it('too little disk: an error with the free space and a way out', () => {
    const c = checkDisk({ diskPath: dir, statfs: () => ({ bavail: 1024, bsize: 1024 * 1024 }) });
    assert.equal(c.ok, false);
    assert.match(c.detail, /1\.0 GiB free on .*need about 10\.0 GiB/);
    assert.equal(checkDisk({ diskPath: dir, statfs: () => ({ bavail: MIN_FREE_DISK_BYTES, bsize: 1 }) }).ok, true);
  });
  it('the full run without docker/kind fails and prints every fix', async () => {
    const checks = await runPreflight({ env: { PATH: emptyPath }, procRoot: path.join(dir, 'proc'), ports: { start: 40000, count: 1 } });
    assert.deepEqual(
      checks.map((c) => c.name),
      ['docker', 'kind', 'inotify', 'ports', 'disk'],
    );
    assert.equal(preflightPassed(checks), false);
    const text = formatPreflight(checks);
    assert.match(text, /\[FAIL\] docker/);
    assert.match(text, /\[FAIL\] kind/);
    assert.match(text, /\[WARN\] inotify/);
    assert.equal((text.match(/fix: /g) ?? []).length, 3);
  });
  it('runtime Auto picks the sandbox without docker/kind and says why', async () => {
    const r = await chooseRuntime(undefined, 'Auto', { PATH: emptyPath });
    assert.equal(r.runtime, 'sandbox');
    assert.match(r.reason, /docker is not on PATH; kind is not on PATH — the sandbox needs neither/);
    assert.deepEqual(await chooseRuntime('kind', 'Auto', { PATH: emptyPath }), { runtime: 'kind', reason: '--runtime kind' });
    assert.equal((await chooseRuntime(undefined, 'Kind', { PATH: emptyPath })).runtime, 'kind');
  });
});

describe('kind config generation', () => {
  it('maps each reserved host port on 127.0.0.1 to a node port, uses the catalog node image and extra mounts', () => {
    const cfg = kindConfig({
      name: 'kokpit-dev',
      nodeImage: 'kindest/node:v1.33.13',
      ports: { start: 36443, count: 3 },
      extraMounts: [{ hostPath: '/data', containerPath: '/data', readOnly: true }],
    });
    assert.deepEqual(cfg, {
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      name: 'kokpit-dev',
      networking: { apiServerAddress: '127.0.0.1' },
      nodes: [
        {
          role: 'control-plane',
          image: 'kindest/node:v1.33.13',
          extraPortMappings: [0, 1, 2].map((i) => ({
            containerPort: KIND_NODEPORT_BASE + i,
            hostPort: 36443 + i,
            listenAddress: '127.0.0.1',
            protocol: 'TCP',
          })),
          extraMounts: [{ hostPath: '/data', containerPath: '/data', readOnly: true }],
        },
      ],
    });
  });
  it("pins the meta cluster's etcd and CoreDNS to the catalog's tags and shares the backups directory at the same path", () => {
    const cfg = kindConfig({
      name: 'k',
      nodeImage: 'kindest/node:v1.33.13',
      ports: { start: 36443, count: 1 },
      pinnedImages: { etcdTag: '3.5.35-0', coreDNSTag: 'v1.11.3' },
      sharedDir: '/state/k/backups',
    }) as any;
    assert.deepEqual(parse(cfg.kubeadmConfigPatches[0]), {
      kind: 'ClusterConfiguration',
      etcd: { local: { imageTag: '3.5.35-0' } },
      dns: { imageTag: 'v1.11.3' },
    });
    assert.deepEqual(cfg.nodes[0].extraMounts, [{ hostPath: '/state/k/backups', containerPath: '/state/k/backups' }]);
    const yaml = kindConfigYaml({
      name: 'k',
      nodeImage: 'kindest/node:v1.33.13',
      pinnedImages: { etcdTag: '3.5.35-0', coreDNSTag: 'v1.11.3' },
      sharedDir: '/b',
    });
    assert.deepEqual(
      validateText(yaml).filter((d) => d.severity === 'error'),
      [],
    );
  });
  it('produces YAML that the kind config schema accepts', () => {
    const yaml = kindConfigYaml({ name: 'kokpit', nodeImage: 'kindest/node:v1.33.13' });
    assert.deepEqual(
      validateText(yaml).filter((d) => d.severity === 'error'),
      [],
    );
    assert.equal(parse(yaml).nodes[0].extraPortMappings.length, 10);
  });
  it('refuses ranges past the node-port or host-port space', () => {
    assert.throws(() => portReservations({ start: 65530, count: 10 }), /past 65535/);
    assert.throws(() => portReservations({ start: 36443, count: 5000 }), /at most/);
  });
});
