// `npm run setup:bins [-- --only kube-apiserver,etcd | --family ocm | --except-first-run] [--versions v1.32.13] [--list]`
// Builds whatever pinned upstream binary is missing from the kokpit cache.

import { parseArgs } from 'node:util';
import { binDir, ensureBinaries, planBinaries, type BinaryRequest } from '../src/binaries/build';
import { CATALOG, unbuildableReason } from '../src/binaries/catalog';
import { defaultEnvironmentConfig } from '../src/local/config';
import { environmentBinaries } from '../src/local/requirements';
import { SAMPLE_VERSION } from '../src/local/sample';

function usage(): never {
  process.stderr.write(
    'usage: setup-bins [--only c1,c2 | --family F] [--versions v1,v2] [--list]\n' +
      '  --only      components to ensure (default: all)\n' +
      '  --family    every component of one family, at its pinned versions (e.g. ocm: what the multicluster tests run)\n' +
      '  --except-first-run  the default set without what a first `npm start` builds itself (and the first-run\n' +
      "              check's kubectl): .ci/run builds these beside that check\n" +
      '  --versions  versions to ensure (default: all pinned)\n' +
      '  --list      print component, version, path, present/missing and exit\n',
  );
  process.exit(2);
}

interface Cli {
  components?: string[];
  versions?: string[];
  /** --family: exactly the catalog's entries of that family (each component at its own pinned versions). */
  requests?: Array<{ component: string; version: string }>;
  list: boolean;
}

function parseCli(argv: string[]): Cli {
  let values: { only?: string; family?: string; versions?: string; list?: boolean; 'except-first-run'?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        family: { type: 'string' },
        versions: { type: 'string' },
        list: { type: 'boolean' },
        'except-first-run': { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`setup:bins: ${e instanceof Error ? e.message : String(e)}\n`);
    usage();
  }
  const csv = (v: string | undefined) =>
    v
      ?.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  if (values['except-first-run']) {
    if (values.only !== undefined || values.family !== undefined || values.versions !== undefined) {
      process.stderr.write('setup:bins: --except-first-run takes no --only, --family or --versions\n');
      usage();
    }
    return { requests: exceptFirstRun(), list: values.list === true };
  }
  if (values.family !== undefined) {
    const specs = CATALOG.filter((s) => s.family === values.family);
    if (values.only !== undefined || !specs.length) {
      process.stderr.write(`setup:bins: --family takes one of ${[...new Set(CATALOG.map((s) => s.family))].join(', ')}, without --only\n`);
      usage();
    }
    const versions = csv(values.versions);
    return {
      requests: specs
        .filter((s) => (!versions || versions.includes(s.version)) && !unbuildableReason(s.component, s.version))
        .map((s) => ({ component: s.component, version: s.version })),
      list: values.list === true,
    };
  }
  return { components: csv(values.only), versions: csv(values.versions), list: values.list === true };
}

/**
 * The default set less what `npm start` (a sandbox with the sample, the default config) builds by itself and the
 * kubectl scripts/first-run-check.sh builds: what .ci/run builds beside that check without building anything twice.
 */
function exceptFirstRun(): BinaryRequest[] {
  const firstRun = environmentBinaries({ runtime: 'sandbox', config: defaultEnvironmentConfig(), withSample: true });
  const skip = new Set([...firstRun.map((r) => `${r.component}@${r.version}`), `kubectl@${SAMPLE_VERSION}`]);
  return planBinaries({})
    .map((p) => ({ component: p.spec.component, version: p.spec.version }))
    .filter((r) => !skip.has(`${r.component}@${r.version}`));
}

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2));
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
    requests: args.requests,
    signal: ac.signal,
    onProgress: (msg) => process.stderr.write(`setup:bins ${msg}\n`),
  });
  process.stderr.write(`setup:bins ok in ${((Date.now() - t0) / 1000).toFixed(1)}s (${binDir()})\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`setup:bins failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
