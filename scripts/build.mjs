// Bundles the extension and the CLI into single CommonJS files. `vscode` stays external; ESM-only
// dependencies (@kubernetes/client-node 2.x, execa) are bundled to CJS.
import { build } from 'esbuild';
import { cpSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// etcd3 loads its .proto files at run time from `${__dirname}/../proto`; in a bundle __dirname is dist/,
// so ship the files as dist/etcd3-proto/ and point the loader there.
const require = createRequire(import.meta.url);
const etcd3Dir = dirname(require.resolve('etcd3/package.json'));
cpSync(join(etcd3Dir, 'proto'), 'dist/etcd3-proto', { recursive: true });
const etcd3Protos = {
  name: 'etcd3-protos',
  setup(b) {
    b.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const patched = src.replace('`${__dirname}/../proto/rpc.proto`', "require('path').join(__dirname, 'etcd3-proto', 'rpc.proto')");
      if (patched === src) throw new Error('etcd3 connection-pool.js changed: update scripts/build.mjs');
      return { contents: patched, loader: 'js' };
    });
  },
};

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  // Some ESM dependencies read import.meta.url; give them the CJS equivalent.
  define: { 'import.meta.url': 'importMetaUrl' },
  plugins: [etcd3Protos],
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

await Promise.all([
  build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' }),
]);
