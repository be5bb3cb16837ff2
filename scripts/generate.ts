// Writes the generated CRDs, editor schemas and API reference (see src/api/generate.ts), and copies the OCM CRDs
// from the Go module hack/bins/ocm pins (scripts/ocm-schemas.ts).
// `npm run generate` writes them into the repository; `npm run generate -- --out <dir>` anywhere else.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeGeneratedFiles } from '../src/api/generate';
import { ocmModuleDir, ocmSchemaFiles } from './ocm-schemas';

const args = process.argv.slice(2);
const outFlag = args.indexOf('--out');
if (outFlag >= 0 && !args[outFlag + 1]) {
  console.error('usage: npm run generate [-- --out <dir>]');
  process.exit(2);
}
const root = outFlag >= 0 ? resolve(args[outFlag + 1]) : join(__dirname, '..');
for (const path of writeGeneratedFiles(root)) console.log(`wrote ${join(root, path)}`);
for (const [path, content] of ocmSchemaFiles(ocmModuleDir(join(__dirname, '..')))) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${join(root, path)}`);
}
