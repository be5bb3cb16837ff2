// The conformance suite in the binary builder (issue 20): e2e.test is a Go *test* binary (`go test -c`) and agnhost a
// command, both from the kubernetes-v1.33 wrapper module with upstream's tags and version variables, on demand only.
// The `go` here is a script that records its arguments and working directory, so the real build path runs without
// compiling (the real build: npm run setup:bins -- --only e2e.test,agnhost, minutes on 2 cores).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingGo } from '../../support/fake-go';
import { withTempEnv } from '../../support/temp-env';
import { ensureBinaries, hackBinsDir } from '../../../src/binaries/build';
import { CONFORMANCE_VERSION, DEFAULT_COMPONENTS, findSpec, ldflags } from '../../../src/binaries/catalog';

describe('binaries: the upstream conformance suite (e2e.test, agnhost)', () => {
  const temp = withTempEnv('kokpit-conformance-bins-', (tmp) => ({
    KOKPIT_BIN_DIR: path.join(tmp, 'bin'),
    KOKPIT_LOG_DIR: path.join(tmp, 'logs'),
    // The fake builds' times must not become the real cache's estimates (build-times.json).
    XDG_CACHE_HOME: path.join(tmp, 'cache'),
  }));

  it('are on-demand components of the v1.33 wrapper module, never in the default set', () => {
    assert.equal(CONFORMANCE_VERSION, 'v1.33.13');
    for (const c of ['e2e.test', 'agnhost']) {
      const spec = findSpec(c, CONFORMANCE_VERSION);
      assert.ok(spec, c);
      assert.equal(spec.onDemand, true);
      assert.equal(spec.module, 'kubernetes-v1.33');
      assert.ok(!DEFAULT_COMPONENTS.includes(c), `${c} must not be built by a plain setup:bins`);
    }
    // The wrapper module lists agnhost as a tool and names the e2e packages so tidy keeps their go.sum lines.
    const dir = path.join(hackBinsDir(), 'kubernetes-v1.33');
    assert.match(fs.readFileSync(path.join(dir, 'go.mod'), 'utf8'), /\tk8s\.io\/kubernetes\/test\/images\/agnhost\n/);
    assert.match(fs.readFileSync(path.join(dir, 'conformance', 'deps.go'), 'utf8'), /_ "k8s\.io\/kubernetes\/test\/e2e"\n/);
  });

  it('builds e2e.test with `go test -c` and agnhost with `go build`, both with upstream tags and version ldflags', async () => {
    const fake = recordingGo(temp());
    const done = await ensureBinaries({ components: ['e2e.test', 'agnhost'], goBinary: fake.go });
    assert.deepEqual(done.map((d) => [d.spec.component, d.spec.version, d.built]).sort(), [
      ['agnhost', 'v1.33.13', true],
      ['e2e.test', 'v1.33.13', true],
    ]);
    const byPkg = new Map(fake.calls().map((c) => [c.args[c.args.length - 1], c]));
    assert.deepEqual([...byPkg.keys()].sort(), ['k8s.io/kubernetes/test/e2e', 'k8s.io/kubernetes/test/images/agnhost']);
    assert.deepEqual(byPkg.get('k8s.io/kubernetes/test/e2e')!.args.slice(0, 3), ['test', '-c', '-vet=off']);
    assert.equal(byPkg.get('k8s.io/kubernetes/test/images/agnhost')!.args[0], 'build');
    for (const [pkg, { cwd, cgo, args }] of byPkg) {
      const component = pkg.endsWith('/e2e') ? 'e2e.test' : 'agnhost';
      assert.equal(fs.realpathSync(cwd), fs.realpathSync(path.join(hackBinsDir(), 'kubernetes-v1.33')));
      assert.equal(cgo, '0');
      assert.ok(args.includes('-mod=readonly') && args.includes('-trimpath') && args.includes('-tags=selinux,notest'), args.join(' '));
      const ld = args[args.indexOf('-ldflags') + 1];
      assert.match(ld, / -X k8s\.io\/component-base\/version\.gitVersion=v1\.33\.13 /);
      assert.equal(ld, ldflags(findSpec(component, 'v1.33.13')!));
      assert.ok(fs.statSync(path.join(temp(), 'bin', component, 'v1.33.13', component)).mode & 0o111, `${component} is executable`);
    }
  });
});
