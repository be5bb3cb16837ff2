// dist/cli.js, the bundled CLI's entry (scripts/build.mjs; the TypeScript sources start at main.ts instead).
// `kokpit validate` runs from dist/cli/validate.cjs (validate-main.ts), compiled here with the V8 code cache the build
// wrote beside it: the functions a validation runs come compiled, so start-up skips parsing and compiling most of the
// bundle (npm run bench -- cli). Node 20 has no compile cache of its own (module.enableCompileCache is Node ≥ 22.1).
// V8 refuses a cache made by another Node version, and then the bundle compiles as usual. Every other command is the
// ES module chunks in dist/cli/, main.mjs dispatching.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import type { CliIO } from './command';

/** The validate bundle's content hash (scripts/build.mjs): V8 checks a cache against the source's length only, so
 *  the cache is named after the bundle it was made from. */
declare const KOKPIT_VALIDATE_HASH: string;

const VALIDATE = join(__dirname, 'cli', 'validate.cjs');
const VALIDATE_CACHE = join(__dirname, 'cli', `validate-${KOKPIT_VALIDATE_HASH}.v8cache`);

interface ValidateBundle {
  main(): void;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** validate.cjs as Node's CommonJS loader runs it, with V8's cached data when given. */
function loadValidate(cachedData: Buffer | undefined): { bundle: ValidateBundle; script: Script } {
  // The wrapper on a line of its own (lineOffset -1): stack traces give the file's own lines and columns.
  const source = `(function (exports, require, module, __filename, __dirname) {\n${readFileSync(VALIDATE, 'utf8')}\n})`;
  const script = new Script(source, { filename: VALIDATE, lineOffset: -1, cachedData });
  const module = { exports: {} as ValidateBundle };
  script.runInThisContext()(module.exports, createRequire(VALIDATE), module, VALIDATE, dirname(VALIDATE));
  return { bundle: module.exports, script };
}

function readCache(): Buffer | undefined {
  try {
    return readFileSync(VALIDATE_CACHE);
  } catch {
    return undefined; // not built (or removed): compile
  }
}

/** Entry used by bin/kokpit.js and the editor's launcher. */
export function main(): void {
  // Node maps stack traces through source maps (--enable-source-maps) for the modules it loads itself, not for a
  // vm.Script: when asked to, it loads the bundle, without the cache.
  if (process.argv[2] === 'validate' && process.sourceMapsEnabled) (createRequire(VALIDATE)(VALIDATE) as ValidateBundle).main();
  else if (process.argv[2] === 'validate') loadValidate(readCache()).bundle.main();
  else void import(pathToFileURL(join(__dirname, 'cli', 'main.mjs')).href).then((m: { main(): void }) => m.main());
}

/** Whether this Node's V8 takes the code cache the build wrote (scripts/build.mjs checks it, so does the bundle test). */
export function validateCodeCacheAccepted(): boolean {
  const cache = readCache();
  return !!cache && !loadValidate(cache).script.cachedDataRejected;
}

/** For scripts/build.mjs: validates `paths` (output discarded), then writes the code cache of what that compiled. */
export async function writeValidateCodeCache(paths: string[]): Promise<void> {
  const { bundle, script } = loadValidate(undefined);
  await bundle.run(paths, { out: () => {}, err: () => {}, progress: () => {}, isTTY: false, cwd: process.cwd() });
  writeFileSync(VALIDATE_CACHE, script.createCachedData());
}
