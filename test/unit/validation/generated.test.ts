// config/crd, schemas/ and docs/api.md are generated from src/api and checked in: this fails when they are stale.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeGeneratedFiles } from '../../../src/api/generate';
import { OCM_SCHEMA_DIR } from '../../../src/api/ocm';

const repo = join(__dirname, '..', '..', '..');
const GENERATED_DIRS = ['config/crd', 'schemas'];

function filesBelow(root: string, dir: string): string[] {
  const abs = join(root, dir);
  return readdirSync(abs).flatMap((name) => {
    const p = join(abs, name);
    return statSync(p).isDirectory() ? filesBelow(root, relative(root, p)) : [relative(root, p)];
  });
}

describe('generated API files', () => {
  let out: string;
  let written: string[];
  before(() => {
    out = mkdtempSync(join(tmpdir(), 'kokpit-generate-'));
    written = writeGeneratedFiles(out);
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('writes CRDs, editor schemas and the API reference', () => {
    assert.ok(written.includes('docs/api.md'));
    assert.ok(written.includes('schemas/kokpit.json'));
    assert.ok(written.some((p) => p.startsWith('config/crd/')));
  });

  it('the checked-in copies equal a fresh generation (run `npm run generate` when this fails)', () => {
    const stale = written.filter((p) => {
      let current: string | undefined;
      try {
        current = readFileSync(join(repo, p), 'utf8');
      } catch {
        return true;
      }
      return current !== readFileSync(join(out, p), 'utf8');
    });
    assert.deepEqual(stale, [], `stale generated files: ${stale.join(', ')}`);
  });

  it('no leftover generated files that src/api no longer produces', () => {
    // schemas/ocm is OCM's CRDs, copied from the Go module (scripts/ocm-schemas.ts); test/unit/validation/ocm.test.ts checks it.
    const leftover = GENERATED_DIRS.flatMap((d) => filesBelow(repo, d)).filter(
      (p) => !written.includes(p) && !p.startsWith(`${OCM_SCHEMA_DIR}/`),
    );
    assert.deepEqual(leftover, []);
  });
});
