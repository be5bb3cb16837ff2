// OCM's five commands in the binary builder: on demand only, from hack/bins/ocm, with the flags the manual
// build used (so a binary it left in the cache counts as built). The `go` here is a script that records
// its arguments, working directory and CGO_ENABLED, so the real build path runs without compiling.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingGo } from '../../support/fake-go';
import { withTempEnv } from '../../support/temp-env';
import { ensureBinaries, hackBinsDir, planBinaries } from '../../../src/binaries/build';
import { DEFAULT_COMPONENTS, OCM_COMPONENTS, OCM_VERSION, findSpec, ldflags } from '../../../src/binaries/catalog';

describe('binaries: Open Cluster Management', () => {
  const temp = withTempEnv('kokpit-ocm-bins-', (tmp) => ({
    KOKPIT_BIN_DIR: path.join(tmp, 'bin'),
    KOKPIT_LOG_DIR: path.join(tmp, 'logs'),
  }));

  it('are on-demand components at v1.0.0, never in the default set', () => {
    assert.equal(OCM_VERSION, 'v1.0.0');
    for (const c of ['registration', 'work', 'placement', 'registration-operator', 'addon']) {
      const spec = findSpec(c, 'v1.0.0');
      assert.ok(spec, c);
      assert.equal(spec.onDemand, true);
      assert.equal(spec.module, 'ocm');
      assert.equal(spec.pkg, `open-cluster-management.io/ocm/cmd/${c}`);
      assert.ok(!DEFAULT_COMPONENTS.includes(c), `${c} must not be built by a plain setup:bins`);
    }
    assert.deepEqual([...OCM_COMPONENTS].sort(), ['addon', 'placement', 'registration', 'registration-operator', 'work']);
    // The wrapper module pins the release and lists each command as a tool.
    const gomod = fs.readFileSync(path.join(hackBinsDir(), 'ocm', 'go.mod'), 'utf8');
    for (const c of OCM_COMPONENTS) assert.match(gomod, new RegExp(`open-cluster-management\\.io/ocm/cmd/${c}\\n`));
  });

  it('plans the cache path <bin>/<cmd>/v1.0.0/<cmd> and counts a binary already there as present', () => {
    const already = path.join(temp(), 'bin', 'registration', 'v1.0.0', 'registration');
    fs.mkdirSync(path.dirname(already), { recursive: true });
    fs.writeFileSync(already, '#!/bin/sh\n', { mode: 0o755 });
    const plan = planBinaries({ components: ['registration', 'work', 'placement'] });
    const got = plan.map((p) => [p.spec.component, p.spec.version, p.path, p.present]).sort();
    assert.deepEqual(got, [
      ['placement', 'v1.0.0', path.join(temp(), 'bin', 'placement', 'v1.0.0', 'placement'), false],
      ['registration', 'v1.0.0', already, true],
      ['work', 'v1.0.0', path.join(temp(), 'bin', 'work', 'v1.0.0', 'work'), false],
    ]);
  });

  it('builds each missing command with CGO_ENABLED=0 -trimpath -mod=readonly and the version ldflags, in hack/bins/ocm', async () => {
    const fake = recordingGo(temp());
    const done = await ensureBinaries({ components: ['work', 'placement'], goBinary: fake.go });
    assert.deepEqual(done.map((d) => [d.spec.component, d.built]).sort(), [
      ['placement', true],
      ['work', true],
    ]);
    const calls = fake.calls();
    assert.equal(calls.length, 2);
    for (const { cwd, cgo, args } of calls) {
      const cmd = args[args.length - 1].replace('open-cluster-management.io/ocm/cmd/', '');
      assert.equal(fs.realpathSync(cwd), fs.realpathSync(path.join(hackBinsDir(), 'ocm')));
      assert.equal(cgo, '0');
      assert.ok(args.includes('-mod=readonly') && args.includes('-trimpath'), args.join(' '));
      assert.ok(!args.some((a) => a.startsWith('-tags')), 'no build tags');
      const ld = args[args.indexOf('-ldflags') + 1];
      assert.equal(
        ld,
        '-s -w' +
          ' -X open-cluster-management.io/ocm/pkg/version.versionFromGit=v1.0.0' +
          ' -X open-cluster-management.io/ocm/pkg/version.majorFromGit=1' +
          ' -X open-cluster-management.io/ocm/pkg/version.minorFromGit=0' +
          ' -X open-cluster-management.io/ocm/pkg/version.buildDate=2025-06-16T01:05:30Z',
      );
      assert.equal(ld, ldflags(findSpec(cmd, 'v1.0.0')!));
      assert.ok(fs.statSync(path.join(temp(), 'bin', cmd, 'v1.0.0', cmd)).mode & 0o111, `${cmd} is executable`);
    }
  });
});
