// Bundles the extension into one CommonJS file (`vscode` stays external) and the CLI into ES module chunks that
// load on demand: dist/cli/main.mjs holds only the command table and dispatch, each command's code (and the
// heavy dependencies it alone uses) sits in its own chunk, so `kokpit --help` parses kilobytes, not megabytes.
// dist/cli.js is a small CommonJS door to it, for `require(dist/cli.js).main()` (bin/kokpit.js, the editor's
// launcher). ESM-only dependencies (@kubernetes/client-node 2.x, execa) are bundled in both.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// etcd3 loads its .proto files at run time from `${__dirname}/../proto`; in a bundle __dirname is dist/ (or
// dist/cli/ for the CLI's chunks), so ship the files once as dist/etcd3-proto/ and point the loader there.
const require = createRequire(import.meta.url);
const etcd3Dir = dirname(require.resolve('etcd3/package.json'));
cpSync(join(etcd3Dir, 'proto'), 'dist/etcd3-proto', { recursive: true });
const etcd3Protos = (fromBundleDir) => ({
  name: 'etcd3-protos',
  setup(b) {
    b.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const to = `require('path').join(__dirname, ${JSON.stringify(fromBundleDir)}, 'etcd3-proto', 'rpc.proto')`;
      const patched = src.replace('`${__dirname}/../proto/rpc.proto`', to);
      if (patched === src) throw new Error('etcd3 connection-pool.js changed: update scripts/build.mjs');
      return { contents: patched, loader: 'js' };
    });
  },
});

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

// The CLI's chunks are ES modules; bundled CommonJS dependencies still call require() and read __dirname, so
// every chunk gets both from its own URL (the names are the ones esbuild's require shim and etcd3 look for).
const esmBanner = [
  "import { createRequire as __kokpitCreateRequire } from 'node:module';",
  "import { dirname as __kokpitDirname } from 'node:path';",
  "import { fileURLToPath as __kokpitFileURLToPath } from 'node:url';",
  'const require = __kokpitCreateRequire(import.meta.url);',
  'const __filename = __kokpitFileURLToPath(import.meta.url);',
  'const __dirname = __kokpitDirname(__filename);',
].join(' ');

// The CLI's ES module build, also used (without the chunks and the metafile) for the validate bundle below.
const cliCommon = {
  ...common,
  // yaml's ES module build (the same code its "default" export condition serves) instead of its CommonJS one:
  // esbuild can leave out the parts no command uses, and `kokpit validate` starts ~4 ms sooner (npm run bench -- cli).
  alias: { yaml: './node_modules/yaml/browser/index.js' },
  metafile: true,
};

rmSync('dist/cli', { recursive: true, force: true });
const [, cli, validate] = await Promise.all([
  build({
    ...common,
    format: 'cjs',
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    plugins: [etcd3Protos('.')],
    // Some ESM dependencies read import.meta.url; give them the CJS equivalent.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  }),
  build({
    ...cliCommon,
    format: 'esm',
    splitting: true,
    entryPoints: { main: 'src/cli/main.ts' },
    outdir: 'dist/cli',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    plugins: [etcd3Protos('..')],
    // src/cli/registry.ts: the bundle loads each command with import() (a chunk), the sources with require().
    define: { KOKPIT_BUNDLE: 'true' },
    banner: { js: esmBanner },
  }),
  // `kokpit validate` on its own: one CommonJS file that dist/cli.js (src/cli/door.ts) loads before the module loader
  // starts, with a V8 code cache made below. On a 2-core machine, what validating one file costs beyond `node -e 0`
  // went from ~41 ms of CPU (the ES module chunks) to ~30 (this file) and ~16 (with the cache).
  build({
    ...cliCommon,
    format: 'cjs',
    entryPoints: ['src/cli/validate-main.ts'],
    outfile: 'dist/cli/validate.cjs',
  }),
]);
mkdirSync('dist/cli', { recursive: true });
// Which source files each chunk holds and which chunks it imports: test/integration/bundle reads it to check
// that `kokpit --help` and `kokpit validate` load no heavy dependency. Not shipped (see .vscodeignore).
writeFileSync('dist/cli/meta.json', JSON.stringify(cli.metafile));
writeFileSync('dist/cli/validate-meta.json', JSON.stringify(validate.metafile));
// dist/cli.js: sends `kokpit validate` to dist/cli/validate.cjs with its code cache, anything else to the chunks.
const validateHash = createHash('sha256').update(readFileSync('dist/cli/validate.cjs')).digest('hex').slice(0, 12);
await build({
  ...common,
  format: 'cjs',
  entryPoints: ['src/cli/door.ts'],
  outfile: 'dist/cli.js',
  define: { KOKPIT_VALIDATE_HASH: JSON.stringify(validateHash) },
});
// The code cache is made by running the bundle on the valid fixtures (every kind), then checked: V8 refuses a cache
// made under other flags (so both run without NODE_OPTIONS) or from another source, and a refused cache costs a read
// and saves nothing. It only holds for this Node version; another compiles the bundle as before.
const node = (code) => spawnSync(process.execPath, ['-p', code], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
const written = node("require('./dist/cli.js').writeValidateCodeCache(['testFixture/valid'])");
if (written.status !== 0) throw new Error(`writing the validate code cache failed:\n${written.stderr}`);
const taken = node("require('./dist/cli.js').validateCodeCacheAccepted()");
if (taken.stdout.trim() !== 'true') throw new Error(`V8 refuses the validate code cache it just wrote:\n${taken.stderr}`);
