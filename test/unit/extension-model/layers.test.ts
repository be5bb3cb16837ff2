// The layer rule: only src/extension may import `vscode`. Checked twice — by reading the sources, and by
// showing that the root tsconfig's compiler options really turn such an import into a compile error.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');
const SRC = join(ROOT, 'src');
const VSCODE_IMPORT =
  /(\bfrom\s*['"]vscode['"])|(\brequire\(\s*['"]vscode['"]\s*\))|(\bimport\s*\(\s*['"]vscode['"]\s*\))|(^\s*import\s*['"]vscode['"])/m;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(e.name) ? [p] : [];
  });
}

describe('layers: vscode stays in src/extension', () => {
  it('the import pattern catches every form of importing vscode', () => {
    for (const line of [
      "import * as vscode from 'vscode';",
      'import type { Uri } from "vscode";',
      "const vscode = require('vscode');",
      "await import('vscode')",
      "import 'vscode';",
    ])
      assert.match(line, VSCODE_IMPORT, line);
    assert.doesNotMatch("import { x } from './vscode-free';", VSCODE_IMPORT);
  });

  it('no source outside src/extension imports vscode', () => {
    const extension = join(SRC, 'extension') + sep;
    const offenders = sourceFiles(SRC)
      .filter((f) => !f.startsWith(extension))
      .filter((f) => VSCODE_IMPORT.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    assert.deepEqual(offenders, []);
  });

  it('src/extension/model and src/extension/fleet/source.ts stay vscode-free (they run in Node tests)', () => {
    const pure = [...sourceFiles(join(SRC, 'extension', 'model')), join(SRC, 'extension', 'fleet', 'source.ts')];
    assert.ok(pure.length >= 5);
    const offenders = pure.filter((f) => VSCODE_IMPORT.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    assert.deepEqual(offenders, []);
  });

  it("the root tsconfig's compiler options make `import 'vscode'` a compile error", function () {
    this.timeout(60_000);
    const configPath = join(ROOT, 'tsconfig.json');
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    assert.equal(read.error, undefined);
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath);
    assert.ok(parsed.options.paths?.vscode, 'root tsconfig maps vscode');

    const dir = mkdtempSync(join(tmpdir(), 'kokpit-layers-'));
    try {
      const offending = join(dir, 'core.ts');
      writeFileSync(offending, "import * as vscode from 'vscode';\nexport const uri = vscode.Uri;\n");
      const clean = join(dir, 'clean.ts');
      writeFileSync(clean, "import { join } from 'node:path';\nexport const p = join('a', 'b');\n");

      const codes = (file: string) => {
        const program = ts.createProgram([file], { ...parsed.options, noEmit: true });
        return ts
          .getPreEmitDiagnostics(program)
          .filter((d) => d.file?.fileName === file.split(sep).join('/') || d.file?.fileName === file)
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      };
      const offendingMessages = codes(offending);
      assert.ok(
        offendingMessages.some((m) => m.includes("Cannot find module 'vscode'")),
        `expected "Cannot find module 'vscode'", got: ${JSON.stringify(offendingMessages)}`,
      );
      // The control: the same options compile a vscode-free file without complaint.
      assert.deepEqual(codes(clean), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
