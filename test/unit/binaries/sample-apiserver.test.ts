// The Aggregator conformance test's sample-apiserver (issue 20): an on-demand build of k8s.io/sample-apiserver from its
// own wrapper module, at the release upstream's e2e image sample-apiserver:1.29.2 was built from, and the image script
// builds that image under the name e2e.test v1.33.13 asks for. A fake `go` records the build (no compiling here; the
// real build: npm run setup:bins -- --only sample-apiserver).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingGo } from '../../support/fake-go';
import { withTempEnv } from '../../support/temp-env';
import { ensureBinaries, hackBinsDir } from '../../../src/binaries/build';
import { DEFAULT_COMPONENTS, SAMPLE_APISERVER_VERSION, findSpec } from '../../../src/binaries/catalog';

describe('binaries: sample-apiserver (the Aggregator conformance test)', () => {
  const temp = withTempEnv('kokpit-sample-apiserver-bins-', (tmp) => ({
    KOKPIT_BIN_DIR: path.join(tmp, 'bin'),
    KOKPIT_LOG_DIR: path.join(tmp, 'logs'),
    XDG_CACHE_HOME: path.join(tmp, 'cache'),
  }));

  it('is an on-demand component of its own wrapper module, pinned where the image script expects it', () => {
    assert.equal(SAMPLE_APISERVER_VERSION, 'v0.29.2');
    const spec = findSpec('sample-apiserver', SAMPLE_APISERVER_VERSION);
    assert.ok(spec);
    assert.equal(spec.onDemand, true);
    assert.ok(!DEFAULT_COMPONENTS.includes('sample-apiserver'));
    const gomod = fs.readFileSync(path.join(hackBinsDir(), spec.module, 'go.mod'), 'utf8');
    assert.match(gomod, /^tool k8s\.io\/sample-apiserver$/m);
    assert.match(gomod, /^\tk8s\.io\/sample-apiserver v0\.29\.2 /m);
    assert.match(gomod, /^\tk8s\.io\/apiserver v0\.29\.2 /m);
    const script = fs.readFileSync(path.join(hackBinsDir(), '..', 'offline-images', 'conformance-images.sh'), 'utf8');
    assert.match(script, new RegExp(`^SAMPLE_APISERVER=${SAMPLE_APISERVER_VERSION.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(script, /^tag="\$E2E\/sample-apiserver:1\.29\.2"$/m);
    assert.match(script, /ENTRYPOINT \["\/sample-apiserver"\]/);
    assert.match(script, /^tag="registry\.k8s\.io\/etcd:3\.5\.21-0"$/m);
  });

  it('builds with `go build`, CGO_ENABLED=0 and -trimpath, in its wrapper module', async () => {
    const fake = recordingGo(temp());
    const done = await ensureBinaries({ components: ['sample-apiserver'], goBinary: fake.go });
    assert.deepEqual(
      done.map((d) => [d.spec.component, d.spec.version, d.built]),
      [['sample-apiserver', 'v0.29.2', true]],
    );
    const calls = fake.calls();
    assert.equal(calls.length, 1);
    const [{ cwd, cgo, args }] = calls;
    assert.equal(fs.realpathSync(cwd), fs.realpathSync(path.join(hackBinsDir(), 'sample-apiserver')));
    assert.equal(cgo, '0');
    assert.equal(args[0], 'build');
    assert.ok(args.includes('-mod=readonly') && args.includes('-trimpath'), args.join(' '));
    assert.equal(args[args.length - 1], 'k8s.io/sample-apiserver');
    assert.ok(fs.statSync(path.join(temp(), 'bin', 'sample-apiserver', 'v0.29.2', 'sample-apiserver')).mode & 0o111);
  });
});
