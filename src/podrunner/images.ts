// Which container images the process runner can run: an image maps to a locally built binary by its
// repository name and tag (`registry.k8s.io/etcd:3.5.35-0` → etcd v3.5.35). The registry is ignored on
// purpose: the binary is the upstream build whatever mirror the image was pulled from.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binaryPath, binDir } from '../binaries/build';
import { CATALOG } from '../binaries/catalog';

/** A family of binaries shipped in one image (the etcd image also carries etcdctl and etcdutl). */
export interface ImageFamily {
  /** The image's entrypoint component. */
  component: string;
  /** Every command the image provides (looked up on PATH and as command[0]). */
  commands: string[];
  version: string;
  /** The image's own environment (a Dockerfile's ENV): under the pod's env, which overrides it. */
  env?: Record<string, string>;
}

interface Rule {
  /** Last path segments of the repository (`kwok/kwok` matches `registry.k8s.io/kwok/kwok`). */
  repo: RegExp;
  component: string;
  commands: string[];
  /** Tag → catalog version, or undefined when the tag is not a version we understand. */
  version: (tag: string) => string | undefined;
}

// etcd images are tagged `3.5.35-0` (registry.k8s.io) or `v3.5.35` (quay.io, gcr.io/etcd-development).
const etcdVersion = (tag: string) => {
  const m = /^v?(\d+\.\d+\.\d+)(?:-\d+)?$/.exec(tag);
  return m ? `v${m[1]}` : undefined;
};
// Kubernetes images: `v1.33.13`, sometimes with an arch suffix.
const kubeVersion = (tag: string) => /^(v\d+\.\d+\.\d+)(?:[-_](?:amd64|arm64))?$/.exec(tag)?.[1];
const kwokVersion = (tag: string) => /^(v\d+\.\d+\.\d+)$/.exec(tag)?.[1];

const RULES: Rule[] = [
  { repo: /(^|\/)etcd$/, component: 'etcd', commands: ['etcd', 'etcdctl', 'etcdutl'], version: etcdVersion },
  ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => ({
    repo: new RegExp(`(^|/)${c}$`),
    component: c,
    commands: [c],
    version: kubeVersion,
  })),
  { repo: /(^|\/)kubectl$/, component: 'kubectl', commands: ['kubectl'], version: kubeVersion },
  { repo: /(^|\/)kwok$/, component: 'kwok', commands: ['kwok'], version: kwokVersion },
  // Open Cluster Management (quay.io/open-cluster-management/<cmd>:v1.0.0): one command per image, as built from hack/bins/ocm.
  ...['registration', 'work', 'placement', 'registration-operator', 'addon'].map((c) => ({
    repo: new RegExp(`(^|/)open-cluster-management/${c}$`),
    component: c,
    commands: [c],
    version: kwokVersion,
  })),
  // Konnectivity (registry.k8s.io/kas-network-proxy/proxy-server:v0.33.0, …/proxy-agent), as built from hack/bins/konnectivity.
  ...['proxy-server', 'proxy-agent'].map((c) => ({
    repo: new RegExp(`(^|/)kas-network-proxy/${c}$`),
    component: c,
    commands: [c],
    version: kwokVersion,
  })),
];

export interface ImageRef {
  repository: string;
  tag: string;
}

/** Splits `registry/path/name:tag@digest` into repository and tag (`latest` when absent). */
export function parseImage(image: string): ImageRef {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port, not a tag.
  if (colon > slash) return { repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) };
  return { repository: noDigest, tag: 'latest' };
}

/** Maps `(component, version)` to an executable path, or undefined when there is no local build. */
export type BinaryResolver = (component: string, version: string) => string | undefined;

/** The kokpit binary cache (see src/binaries): a path when the binary is built and executable. */
export const cachedBinaryResolver: BinaryResolver = (component, version) => {
  const p = binaryPath(component, version);
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile() ? p : undefined;
  } catch {
    return undefined;
  }
};

export type ImageResolution =
  | { ok: true; family: ImageFamily; binaries: Record<string, string> }
  | { ok: false; message: string; missing?: { component: string; version: string } };

/**
 * Resolves an image to the local binaries of its family. A miss says why, for the container's
 * `waiting: ImageNotRunnable` message.
 */
export function resolveImage(image: string, resolver: BinaryResolver): ImageResolution {
  const { repository, tag } = parseImage(image);
  if (KOKPIT_MANAGER_REPO.test(repository)) return resolveKokpitImage(image, tag);
  const rule = RULES.find((r) => r.repo.test(repository));
  if (!rule) {
    return {
      ok: false,
      message: `image ${image} maps to no locally built binary; known images: ${knownImageMappings(resolver).join('; ')}`,
    };
  }
  const version = rule.version(tag);
  if (!version) return { ok: false, message: `image ${image}: tag "${tag}" is not a ${rule.component} release version` };
  const binaries: Record<string, string> = {};
  for (const cmd of rule.commands) {
    const p = resolver(cmd, version);
    if (p) binaries[cmd] = p;
  }
  if (!binaries[rule.component]) {
    const built = CATALOG.filter((s) => s.component === rule.component && resolver(s.component, s.version)).map((s) => s.version);
    // The exact build: plain `setup:bins` skips on-demand components (OCM's, e2e.test, …).
    const build = `npm run setup:bins -- --only ${rule.component} --versions ${version}`;
    return {
      ok: false,
      missing: { component: rule.component, version },
      message:
        `image ${image}: no local build of ${rule.component} ${version}` +
        ` (${built.length ? `built: ${built.join(', ')}; ` : ''}run \`${build}\`)`,
    };
  }
  return { ok: true, family: { component: rule.component, commands: rule.commands, version }, binaries };
}

/**
 * The executable for a container's command[0] (or the image entrypoint when the command is empty):
 * a command of the image's family by name or by absolute path (`/usr/local/bin/etcd`), or a shell
 * from the host (scripts then find the family's commands on PATH). Undefined: not runnable here.
 */
export function resolveCommand(command0: string | undefined, binaries: Record<string, string>, entrypoint: string): string | undefined {
  if (!command0) return binaries[entrypoint];
  const base = path.posix.basename(command0);
  if (binaries[base]) return binaries[base];
  if (['sh', 'bash', 'ash', 'dash'].includes(base)) {
    for (const candidate of [command0, `/bin/${base}`, `/usr/bin/${base}`]) {
      if (path.isAbsolute(candidate) && fs.existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

const EXAMPLE_TAG: Record<string, (v: string) => string> = {
  etcd: (v) => `${v.slice(1)}-0 or ${v}`,
};

/** The image → binary mappings, with the versions built here (`…/etcd:3.5.35-0 or v3.5.35 → etcd v3.5.35`). */
export function knownImageMappings(resolver: BinaryResolver): string[] {
  return RULES.map((r) => {
    const built = CATALOG.filter((s) => s.component === r.component && resolver(s.component, s.version)).map((s) => s.version);
    const tags = built.map((v) => (EXAMPLE_TAG[r.component] ?? ((x: string) => x))(v));
    return (
      `<registry>/${r.component}:${tags.length ? tags.join('|') : '<version>'} ` +
      `→ ${r.component} ${built.length ? built.join(', ') : '(not built: npm run setup:bins)'}`
    );
  });
}

// kokpit's own image (`kokpit.dev/kokpit-manager:<version>`, config/manager; hack/offline-images builds it):
// not a cached binary but this very kokpit — bin/kokpit.js run by this process's node — so the manager
// Deployment's pods run `kokpit operator` as processes. Only this kokpit's version maps, and the pod runs
// the same code as the runner: from the sources when the runner runs from them (KOKPIT_FROM_SOURCE, the
// image's ENV here), else the bundled dist/cli.js that bin/kokpit.js prefers. The binaries the image ships
// for the operators (kwok, etcdutl) are this machine's builds: KOKPIT_BIN_DIR is the runner's binary cache.
const KOKPIT_MANAGER_REPO = /(^|\/)kokpit-manager$/;

/** The kokpit package root (package.json + bin/kokpit.js), from this file: src/podrunner under tsx, dist/ bundled. */
function kokpitPackage(): { root: string; version: string } | undefined {
  for (let d = __dirname; ; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(d, 'bin', 'kokpit.js'))) {
      return { root: d, version: (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version };
    }
    if (path.dirname(d) === d) return undefined;
  }
}

function resolveKokpitImage(image: string, tag: string): ImageResolution {
  const pkg = kokpitPackage();
  if (!pkg) return { ok: false, message: `image ${image}: cannot find this kokpit's package (bin/kokpit.js) to run it` };
  if (tag.replace(/^v/, '') !== pkg.version)
    return { ok: false, message: `image ${image}: only this kokpit's own version runs as a process here (${pkg.version}), not ${tag}` };
  const fromSource = __filename.endsWith('.ts') || !!process.env.KOKPIT_FROM_SOURCE;
  return {
    ok: true,
    // `node` too: bin/kokpit.js's `#!/usr/bin/env node` finds this process's node first on the container's PATH.
    family: {
      component: 'kokpit',
      commands: ['kokpit', 'node'],
      version: pkg.version,
      env: { KOKPIT_BIN_DIR: binDir(), ...(fromSource ? { KOKPIT_FROM_SOURCE: '1' } : {}) },
    },
    binaries: { kokpit: path.join(pkg.root, 'bin', 'kokpit.js'), node: process.execPath },
  };
}
