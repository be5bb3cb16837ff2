// OCM on a kind meta cluster (src/local/kind-ocm.ts): the images ocm-images.sh makes are exactly the ones the hub and
// the agents run, from the binaries the catalog builds; they are loaded from the one saved archive (recording runner,
// exact argv); pods get the in-cluster address of the meta API server, and agents their business apiserver's Service.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { withTempEnv } from '../../support/temp-env';
import type { CommandResult, CommandRunner } from '../../../src/binaries/processes';
import { findSpec, OCM_COMPONENTS, OCM_VERSION } from '../../../src/binaries/catalog';
import { hackBinsDir } from '../../../src/binaries/build';
import { KindError } from '../../../src/providers/kind';
import { readOcmManifests } from '../../../src/operators/multicluster/hub';
import { renderHub } from '../../../src/operators/multicluster/render/hub';
import { renderAgent } from '../../../src/operators/multicluster/render/agent';
import type { BusinessCluster } from '../../../src/api';
import {
  kindAgentServer,
  kindHubAccess,
  KIND_POD_META_SERVER,
  loadOcmImages,
  ocmImages,
  ocmImagesArchive,
  ocmManifestsRoot,
  OCM_IMAGES_SCRIPT,
} from '../../../src/local/kind-ocm';

class RecordingRunner implements CommandRunner {
  calls: string[][] = [];
  constructor(private readonly answer: (file: string, args: readonly string[]) => CommandResult) {}
  async run(file: string, args: readonly string[]): Promise<CommandResult> {
    this.calls.push([file, ...args]);
    return this.answer(file, args);
  }
}
const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });

type Container = { image: string; command: string[] };
/** Every container of the rendered hub and of one agent: image and command. */
function renderedContainers(): Array<{ image: string; command: string }> {
  const objects = [...renderHub(readOcmManifests(ocmManifestsRoot()), { server: 'https://x' }), renderAgent('default-sample', 'h')];
  return objects
    .filter((o) => o.kind === 'Deployment')
    .flatMap((d) => (d as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers)
    .map((c) => ({ image: c.image, command: c.command[0] }));
}

describe('kind + OCM: the images', () => {
  it('one image per OCM command the hub and the agents run, each its binary at /<command>, all at the pinned version', () => {
    const images = ocmImages();
    assert.deepEqual(
      images.map((i) => i.image),
      [
        'quay.io/open-cluster-management/registration:v1.0.0',
        'quay.io/open-cluster-management/placement:v1.0.0',
        'quay.io/open-cluster-management/work:v1.0.0',
        'quay.io/open-cluster-management/registration-operator:v1.0.0',
      ],
    );
    for (const i of images) {
      assert.equal(i.version, OCM_VERSION);
      assert.ok((OCM_COMPONENTS as readonly string[]).includes(i.component), i.component);
      assert.ok(findSpec(i.component, i.version), `the catalog builds ${i.component} ${i.version}`);
    }
    const rendered = renderedContainers();
    // Every image a rendered pod names is made, and each runs the binary the image holds.
    assert.deepEqual([...new Set(rendered.map((c) => c.image))].sort(), images.map((i) => i.image).sort());
    for (const c of rendered) assert.equal(c.command, `/${images.find((i) => i.image === c.image)!.component}`, c.image);
  });

  it('ocm-images.sh builds those four from the binary cache and saves them where kokpit loads them', () => {
    const script = fs.readFileSync(path.join(hackBinsDir(), '..', '..', OCM_IMAGES_SCRIPT), 'utf8');
    assert.match(script, new RegExp(`^V=${OCM_VERSION.replace(/\./g, '\\.')}$`, 'm'));
    const components = /^COMPONENTS="([^"]+)"$/m.exec(script)?.[1].split(' ');
    assert.deepEqual(
      components,
      ocmImages().map((i) => i.component),
    );
    assert.match(script, /^ {2}tag="quay\.io\/open-cluster-management\/\$c:\$V"$/m);
    assert.match(script, /^ {2}bin="\$BIN\/\$c\/\$V\/\$c"$/m);
    // Each image is its binary at /<component> (binary-images.sh, shared with konnectivity-images.sh), saved as ocm.tar.
    assert.match(script, /^ {2}binary_image "\$tag" "\$bin" "\$c"$/m);
    assert.match(script, /^save_images ocm "\$\{IMAGES\[@\]\}"$/m);
    const lib = fs.readFileSync(path.join(hackBinsDir(), '..', 'offline-images', 'binary-images.sh'), 'utf8');
    assert.match(lib, /install -m 0755 "\$bin" "\$d\/\$cmd"/);
    assert.match(lib, /local f="\$WORK\/saved\/\$1\.tar"/);
    assert.equal(ocmImagesArchive({ KOKPIT_CACHE_DIR: '/c' }), '/c/images/saved/ocm.tar');
    // Inputs-stamped like the other image scripts: the binary, the script itself and the shared file.
    assert.match(lib, /stamp=\$\(sha256sum "\$bin" "\$0" "\$BINARY_IMAGES_LIB"/);
  });
});

describe('kind + OCM: loading the images into the kind node', () => {
  const temp = withTempEnv('kokpit-kind-ocm-', (tmp) => ({ KOKPIT_CACHE_DIR: tmp }));

  it('all four checked in Docker, then the saved archive in one `kind load image-archive`; without it, the images', async () => {
    const runner = new RecordingRunner(() => ok('sha256:1'));
    const images = ocmImages().map((i) => i.image);
    const inspects = images.map((i) => ['docker', 'image', 'inspect', '--format', '{{.Id}}', i]);
    assert.equal(await loadOcmImages('kokpit-e2e', { runner }), 'docker-image');
    fs.mkdirSync(path.dirname(ocmImagesArchive()), { recursive: true });
    fs.writeFileSync(ocmImagesArchive(), '');
    assert.equal(await loadOcmImages('kokpit-e2e', { runner }), 'image-archive');
    assert.deepEqual(runner.calls, [
      ...inspects,
      ['kind', 'load', 'docker-image', ...images, '--name', 'kokpit-e2e'],
      ...inspects,
      ['kind', 'load', 'image-archive', path.join(temp(), 'images/saved/ocm.tar'), '--name', 'kokpit-e2e'],
    ]);
  });

  it('an image Docker lacks stops before kind runs, naming it and the script that builds it', async () => {
    const missing = 'quay.io/open-cluster-management/work:v1.0.0';
    const runner = new RecordingRunner((_f, args) =>
      args.includes(missing) ? { exitCode: 1, stdout: '', stderr: `Error: No such image: ${missing}` } : ok('sha256:1'),
    );
    const err = await loadOcmImages('kokpit-e2e', { runner }).catch((e: unknown) => e);
    assert.ok(err instanceof KindError);
    assert.match(err.message, /image quay\.io\/open-cluster-management\/work:v1\.0\.0 is not in the Docker engine's image store/);
    assert.match(err.fix, /^Build it: `sudo bash hack\/offline-images\/ocm-images\.sh`/);
    assert.ok(!runner.calls.some((c) => c[0] === 'kind'));
  });
});

describe('kind + OCM: addresses pods use', () => {
  it("the hub's pods reach the meta API server by the `kubernetes` Service, verified by the cluster's CA", () => {
    const kc = new KubeConfig();
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    kc.loadFromOptions({
      clusters: [{ name: 'kind-e2e', server: 'https://127.0.0.1:41234', caData: Buffer.from(ca).toString('base64') }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'kind-e2e', user: 'u' }],
      currentContext: 'c',
    });
    assert.deepEqual(kindHubAccess(kc), { server: KIND_POD_META_SERVER, caPEM: ca });
    assert.equal(KIND_POD_META_SERVER, 'https://kubernetes.default.svc');
  });

  it("an agent reaches its business apiserver at the Service's in-cluster name, not the host's 127.0.0.1:<hostPort>", () => {
    const bc = { metadata: { name: 'legacy', namespace: 'default' }, spec: {} } as BusinessCluster;
    assert.equal(kindAgentServer(bc), 'https://legacy-apiserver.default.svc:6443');
  });
});
