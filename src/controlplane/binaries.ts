// Finding the upstream binaries a test environment needs, building missing ones when that is allowed.
import { binaryPath, ensureBinaries, isExecutable, type BinaryRequest, type BuildEvent } from '../binaries/build';
import { KUBERNETES_VERSIONS, UNAVAILABLE } from '../binaries/catalog';
import { execaRunner } from '../binaries/processes';

export type { BinaryRequest };

export interface ResolveOptions {
  log?: (line: string) => void;
  /** Structured build progress (a live line on a TTY: buildProgressReporter). */
  onEvent?: (e: BuildEvent) => void;
  /** Environment to read CI from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Whether a Go toolchain is available (default: run `go version`). */
  hasGo?: () => Promise<boolean>;
  /** Build function (default: src/binaries ensureBinaries). */
  build?: typeof ensureBinaries;
}

function goAvailable(): Promise<boolean> {
  return execaRunner.run('go', ['version']).then(
    (r) => r.exitCode === 0,
    () => false,
  );
}

const HOW_TO_GET =
  "Run 'npm run setup:bins' (needs Go >= 1.24), or point KOKPIT_BIN_DIR at a directory laid out as " +
  '<component>/<version>/<component>, or KUBEBUILDER_ASSETS at an envtest assets directory (etcd, kube-apiserver).';

/**
 * Paths of the requested binaries. Missing ones are built with `go` when possible (always under CI=true,
 * where a failure fails); without Go and outside CI this throws one error that lists what is missing
 * and how to get it.
 */
export async function resolveBinaries(requests: BinaryRequest[], opts: ResolveOptions = {}): Promise<Map<string, string>> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const paths = new Map<string, string>();
  const missing: BinaryRequest[] = [];
  const seen = new Set<string>();
  for (const r of requests) {
    const p = binaryPath(r.component, r.version);
    paths.set(r.component, p);
    const key = `${r.component}@${r.version}`;
    if (!seen.has(key) && !isExecutable(p)) missing.push(r);
    seen.add(key);
  }
  if (missing.length === 0) return paths;

  const list = missing.map((m) => `${m.component} ${m.version}`).join(', ');
  const unbuildable = missing.filter((m) => UNAVAILABLE.some((u) => u.component === m.component && u.version === m.version));
  if (unbuildable.length > 0) {
    const u = unbuildable[0];
    const other = KUBERNETES_VERSIONS.filter(
      (v) => !UNAVAILABLE.some((x) => x.version === v && unbuildable.some((b) => b.component === x.component)),
    );
    throw new Error(
      `${unbuildable.map((b) => `${b.component} ${b.version}`).join(', ')} cannot be built here: ` +
        `${UNAVAILABLE.find((x) => x.component === u.component && x.version === u.version)?.reason}. ` +
        `Use kubernetesVersion ${other.join(' or ') || '(none available)'}, or provide the binary via KOKPIT_BIN_DIR.`,
    );
  }

  const ci = env.CI === 'true' || env.CI === '1';
  if (!ci && !(await (opts.hasGo ?? goAvailable)())) {
    throw new Error(`missing binaries: ${list}, and no Go toolchain to build them. ${HOW_TO_GET}`);
  }
  const build = opts.build ?? ensureBinaries;
  // One call for all of them: one numbered list ([i/N]) with estimates, in build order.
  await build({ requests: missing, ...(opts.onEvent ? { onEvent: opts.onEvent } : { onProgress: log }) });
  for (const m of missing) {
    const p = binaryPath(m.component, m.version);
    if (!isExecutable(p)) throw new Error(`build of ${m.component} ${m.version} finished but ${p} is not executable`);
    paths.set(m.component, p);
  }
  return paths;
}
