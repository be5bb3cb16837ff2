// The layer rule (.dependency-cruiser.cjs) really fails on an upward import and on an operator importing
// another operator, and passes on src as it is. Runs the real dependency-cruiser on a small tree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

function cruise(cwd: string) {
  const r = spawnSync(BIN, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('layers: the dependency rule', function () {
  this.timeout(60_000);

  it('flags kit → cli (upward), operators/etcd → operators/cluster, and src → test', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-layers-rule-'));
    try {
      const file = (p: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        fs.writeFileSync(path.join(dir, p), text);
      };
      file('tsconfig.json', '{"compilerOptions":{"module":"commonjs","strict":true}}');
      file('src/cli/main.ts', 'export const x = 1;\n');
      file('src/kit/apply.ts', "import { x } from '../cli/main';\nexport const y = x;\n");
      file('src/operators/cluster/names.ts', 'export const n = 1;\n');
      file('src/operators/etcd/plan.ts', "import { n } from '../cluster/names';\nexport const m = n;\n");
      file('src/operators/etcd/own.ts', "import { m } from './plan';\nexport const o = m;\n");
      file('test/helper.ts', 'export const h = 1;\n');
      file('src/api/types.ts', "import { h } from '../../test/helper';\nexport const t = h;\n");
      const r = cruise(dir);
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, /layer-kit: src\/kit\/apply\.ts → src\/cli\/main\.ts/);
      assert.match(r.out, /operator-to-operator: src\/operators\/etcd\/plan\.ts → src\/operators\/cluster\/names\.ts/);
      assert.match(r.out, /no-tests-in-src: src\/api\/types\.ts → test\/helper\.ts/);
      assert.doesNotMatch(r.out, /own\.ts/, 'an operator may import its own folder');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('src as it is has no violation', () => {
    const r = cruise(ROOT);
    assert.equal(r.code, 0, r.out);
  });
});
