// Files kokpit copies from OCM v1.0.0 are OCM's, byte for byte. Here, not in the unit tier: this tier builds OCM's
// commands first (scripts/test-integration.mjs), so the module is in the Go module cache, and `go mod download`
// names its directory (or fetches it from the module proxy): the check always runs, it never skips for want of a cache.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

describe("OCM v1.0.0's files as kokpit copies them", function () {
  it('config/ocm/managed-rbac is klusterlet/managed of the module, byte for byte', function () {
    this.timeout(300_000);
    const out = execFileSync('go', ['mod', 'download', '-json', 'open-cluster-management.io/ocm@v1.0.0'], {
      cwd: path.join(ROOT, 'hack/bins/ocm'),
      encoding: 'utf8',
    });
    const dir = (JSON.parse(out) as { Dir?: string }).Dir;
    assert.ok(dir && fs.existsSync(dir), `go mod download named no directory: ${out}`);
    const mod = path.join(dir, 'manifests/klusterlet/managed');
    const copied = fs.readdirSync(path.join(ROOT, 'config/ocm/managed-rbac'));
    assert.ok(copied.length > 0, 'config/ocm/managed-rbac holds files');
    for (const f of copied)
      assert.equal(fs.readFileSync(path.join(ROOT, 'config/ocm/managed-rbac', f), 'utf8'), fs.readFileSync(path.join(mod, f), 'utf8'), f);
  });
});
