// `npm run setup:bins [-- --only kube-apiserver,etcd] [--versions v1.32.13] [--list]`
// Builds whatever pinned upstream binary is missing from the kokpit cache.

import { binDir, ensureBinaries, planBinaries } from '../src/binaries/build';

function usage(): never {
  process.stderr.write(
    'usage: setup-bins [--only c1,c2] [--versions v1,v2] [--list]\n' +
      '  --only      components to ensure (default: all)\n' +
      '  --versions  versions to ensure (default: all pinned)\n' +
      '  --list      print component, version, path, present/missing and exit\n',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): { components?: string[]; versions?: string[]; list: boolean } {
  const out: { components?: string[]; versions?: string[]; list: boolean } = { list: false };
  const csv = (v: string | undefined) => {
    if (!v) usage();
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--only') out.components = csv(value());
    else if (flag === '--versions') out.versions = csv(value());
    else if (flag === '--list') out.list = true;
    else usage();
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const p of planBinaries(args)) {
      process.stdout.write(`${p.spec.component}\t${p.spec.version}\t${p.present ? 'present' : 'missing'}\t${p.path}\n`);
    }
    return;
  }
  const ac = new AbortController();
  // go build runs in its own process group, so forward Ctrl-C explicitly.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
  const t0 = Date.now();
  await ensureBinaries({
    components: args.components,
    versions: args.versions,
    signal: ac.signal,
    onProgress: (msg) => process.stderr.write(`setup:bins ${msg}\n`),
  });
  process.stderr.write(`setup:bins ok in ${((Date.now() - t0) / 1000).toFixed(1)}s (${binDir()})\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`setup:bins failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
