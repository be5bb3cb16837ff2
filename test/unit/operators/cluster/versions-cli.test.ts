// `kokpit versions add -f`: what a file must hold before anything is applied (no cluster needed).
import * as assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { kubernetesVersion } from '../../../../src/catalog';
import { parseVersionsFile } from '../../../../src/cli/commands/versions';
import { runCli } from '../../../../src/cli/main';

describe('kokpit versions (offline parts)', () => {
  it('reads KubernetesVersion documents with defaults applied', () => {
    const v = kubernetesVersion('v1.34.2');
    delete (v.spec as { state?: string }).state;
    const r = parseVersionsFile(stringify(v), 'v.yaml');
    assert.deepEqual(r.problems, []);
    assert.equal(r.versions[0].spec.state, 'Supported');
  });

  it('rejects other kinds, a name that is not the version, and schema errors, with file and position', () => {
    const other = stringify({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'Addon',
      metadata: { name: 'x' },
      spec: { version: '1', manifests: '' },
    });
    assert.match(
      parseVersionsFile(other, 'a.yaml').problems.join('\n'),
      /a\.yaml: document 1 is Addon; only kokpit\.dev\/v1alpha1 KubernetesVersion can be added/,
    );
    const misnamed = { ...kubernetesVersion('v1.34.2'), metadata: { name: 'latest' } };
    assert.match(
      parseVersionsFile(stringify(misnamed), 'b.yaml').problems.join('\n'),
      /metadata\.name "latest" must equal spec\.version "v1\.34\.2"/,
    );
    const badState = { ...kubernetesVersion('v1.34.2'), spec: { ...kubernetesVersion('v1.34.2').spec, state: 'Maybe' } };
    assert.match(parseVersionsFile(stringify(badState), 'c.yaml').problems.join('\n'), /^c\.yaml:\d+:\d+: .*Maybe/m);
    assert.deepEqual(parseVersionsFile('', 'd.yaml').problems, ['d.yaml: no KubernetesVersion documents']);
  });

  it('usage errors exit 2 with the usage', async () => {
    const err: string[] = [];
    const code = await runCli(['versions', 'add'], { out: () => {}, err: (t) => err.push(t), progress: () => {}, isTTY: false, cwd: '/' });
    assert.equal(code, 2);
    assert.match(err.join('\n'), /add needs -f <file>/);
  });
});
