// Writes the generated CRDs, editor schemas and API reference (see src/api/generate.ts).
// `npm run generate` writes them into the repository; `npm run generate -- --out <dir>` anywhere else.
import { join, resolve } from 'node:path';
import { writeGeneratedFiles } from '../src/api/generate';

const args = process.argv.slice(2);
const outFlag = args.indexOf('--out');
if (outFlag >= 0 && !args[outFlag + 1]) {
  console.error('usage: npm run generate [-- --out <dir>]');
  process.exit(2);
}
const root = outFlag >= 0 ? resolve(args[outFlag + 1]) : join(__dirname, '..');
for (const path of writeGeneratedFiles(root)) console.log(`wrote ${join(root, path)}`);
