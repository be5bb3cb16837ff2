// What upstream binaries kokpit can build from the wrapper Go modules in
// hack/bins/, and with which flags. Plain data: no vscode, no npm deps.

/** Kubernetes releases kokpit builds control-plane binaries for (oldest first). */
export const KUBERNETES_VERSIONS = ['v1.32.13', 'v1.33.13'] as const;
/** etcd release pinned in hack/bins/etcd-v3.5: the one kokpit runs by default. */
export const ETCD_VERSION = 'v3.5.35';
/**
 * Every etcd release kokpit builds (oldest first) and its wrapper module: the default, plus the patch
 * below it so member-by-member upgrades run between two real builds.
 */
export const ETCD_MODULES: Readonly<Record<string, string>> = { 'v3.5.34': 'etcd-v3.5.34', [ETCD_VERSION]: 'etcd-v3.5' };
export const ETCD_VERSIONS = Object.keys(ETCD_MODULES);
/** kwok release pinned in hack/bins/kwok. */
export const KWOK_VERSION = 'v0.7.0';

/** Components envtest's KUBEBUILDER_ASSETS directory ships. */
export const ENVTEST_COMPONENTS: readonly string[] = ['etcd', 'kube-apiserver', 'kubectl'];

/** kind release pinned in hack/bins/kind (the end-to-end run's meta cluster). */
export const KIND_VERSION = 'v0.30.0';
/** CoreDNS release the version catalog's images name (registry.k8s.io/coredns/coredns:v1.11.3). */
export const COREDNS_VERSION = 'v1.11.3';
/** A second CoreDNS release (hack/bins/coredns-v1.12.1): the version the kind e2e's addon rollout moves clusters to. */
export const COREDNS_NEXT_VERSION = 'v1.12.1';

/** Open Cluster Management release pinned in hack/bins/ocm (the newest the module proxy serves). */
export const OCM_VERSION = 'v1.0.0';
/** OCM's commands (`open-cluster-management.io/ocm/cmd/<name>`), built on demand for the multicluster hub and agents. */
export const OCM_COMPONENTS = ['registration', 'work', 'placement', 'registration-operator', 'addon'] as const;
/** apiserver-network-proxy (konnectivity) release pinned in hack/bins/konnectivity. */
export const KONNECTIVITY_VERSION = 'v0.33.0';
/** Konnectivity's commands as kokpit names them (upstream's image names), with their `cmd/<dir>` package. */
export const KONNECTIVITY_COMPONENTS = { 'proxy-server': 'server', 'proxy-agent': 'agent' } as const;
/**
 * k8s.io/sample-apiserver release pinned in hack/bins/sample-apiserver: upstream's e2e image
 * registry.k8s.io/e2e-test-images/sample-apiserver:1.29.2 (the Aggregator conformance test's) is built from it.
 */
export const SAMPLE_APISERVER_VERSION = 'v0.29.2';

export type Family = 'kubernetes' | 'etcd' | 'kwok' | 'kind' | 'coredns' | 'ocm' | 'konnectivity' | 'sample-apiserver';

export interface BinarySpec {
  component: string;
  version: string;
  family: Family;
  /** Wrapper module directory name under hack/bins/. */
  module: string;
  /** Main package passed to `go build`. */
  pkg: string;
  /** Extra `go build -tags`. */
  tags: string[];
  /** `-X` assignments (without the `-X`), so `--version` reports the real release. */
  vars: string[];
  /**
   * Built only when asked for by name (`--only`): the node and image components the end-to-end run needs
   * (kubelet, kubeadm, kube-proxy, kind, coredns), which the unit/integration suites never use.
   */
  onDemand?: boolean;
  /** A Go test binary (`go test -c`), not a command (`go build`): upstream's e2e.test. */
  testBinary?: boolean;
}

export interface Unavailable {
  component: string;
  version: string;
  reason: string;
}

// Commit time of each tag as the module proxy reports it: a deterministic,
// honest buildDate (the proxy doesn't give the commit hash, so gitCommit stays empty).
const KUBE_TAG_DATES: Record<string, string> = {
  'v1.32.0': '2024-12-11T21:16:15Z',
  'v1.32.13': '2026-02-27T00:14:55Z',
  'v1.33.13': '2026-06-11T16:59:07Z',
};

const KUBE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const;
/** Node-side components, for the kind node image and the kube-proxy image (hack/offline-images). */
const KUBE_NODE_COMPONENTS = ['kubelet', 'kubeadm', 'kube-proxy'] as const;
/** Releases whose node components resolve on the module proxy (v1.32.13's k8s.io/kube-proxy does not). */
const KUBE_NODE_VERSIONS: readonly string[] = ['v1.33.13'];

/**
 * v1.32's kube-controller-manager and kube-scheduler import staging modules
 * (k8s.io/kube-scheduler, kube-controller-manager, endpointslice,
 * csi-translation-lib, cri-client) that have no v0.32.x on the module proxy.
 */
export const UNAVAILABLE: readonly Unavailable[] = ['kube-controller-manager', 'kube-scheduler'].map((component) => ({
  component,
  version: 'v1.32.13',
  reason:
    'its staging modules (k8s.io/kube-scheduler, k8s.io/kube-controller-manager, k8s.io/endpointslice, ' +
    'k8s.io/csi-translation-lib, k8s.io/cri-client) have no v0.32.x on the Go module proxy',
}));

function kubeVars(version: string): string[] {
  const m = /^v(\d+)\.(\d+)\.\d+$/.exec(version);
  if (!m) throw new Error(`bad Kubernetes version ${version}`);
  const vals: Array<[string, string]> = [
    ['gitVersion', version],
    ['gitMajor', m[1]],
    ['gitMinor', m[2]],
    ['gitTreeState', 'clean'],
    ['gitCommit', ''],
    ['buildDate', KUBE_TAG_DATES[version] ?? '1970-01-01T00:00:00Z'],
  ];
  // component-base feeds /version and --version; client-go's copy feeds the User-Agent.
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((p) => vals.map(([k, v]) => `${p}.${k}=${v}`));
}

/** One `k8s.io/kubernetes/cmd/<component>` build from a wrapper module, with upstream's tags and version vars. */
function kubeSpec(component: string, version: string, module: string, onDemand = false): BinarySpec {
  return {
    component,
    version,
    family: 'kubernetes',
    module,
    pkg: `k8s.io/kubernetes/cmd/${component}`,
    // Same tags as upstream's hack/lib/golang.sh.
    tags: ['selinux', 'notest'],
    vars: kubeVars(version),
    ...(onDemand ? { onDemand } : {}),
  };
}

function kubeSpecs(): BinarySpec[] {
  const out: BinarySpec[] = [];
  for (const version of KUBERNETES_VERSIONS) {
    const module = `kubernetes-v${version.replace(/^v(\d+\.\d+)\..*$/, '$1')}`;
    for (const component of KUBE_COMPONENTS) {
      if (UNAVAILABLE.some((u) => u.component === component && u.version === version)) continue;
      out.push(kubeSpec(component, version, module));
    }
    if (!KUBE_NODE_VERSIONS.includes(version)) continue;
    for (const component of KUBE_NODE_COMPONENTS) out.push(kubeSpec(component, version, module, true));
  }
  return out;
}

/** Release whose upstream conformance suite kokpit builds (npm run test:conformance). */
export const CONFORMANCE_VERSION = 'v1.33.13';
/**
 * The conformance suite, on demand: `e2e.test` (`go test -c k8s.io/kubernetes/test/e2e`, upstream's tags and
 * version variables, as its Makefile builds it) and agnhost, the test server most of its pods run.
 */
function kubeConformanceSpecs(): BinarySpec[] {
  const module = 'kubernetes-v1.33';
  return [
    { ...kubeSpec('agnhost', CONFORMANCE_VERSION, module, true), pkg: 'k8s.io/kubernetes/test/images/agnhost' },
    { ...kubeSpec('e2e.test', CONFORMANCE_VERSION, module, true), pkg: 'k8s.io/kubernetes/test/e2e', testBinary: true },
  ];
}

/**
 * v1.32.0: the one v1.32 release whose staging modules are all on the module proxy, so a whole 1.32 control
 * plane and node can be built; the end-to-end run upgrades a business cluster from it. Built on demand.
 */
export const KUBE_E2E_OLD_VERSION = 'v1.32.0';
function kubeOldReleaseSpecs(): BinarySpec[] {
  return ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'].map((component) =>
    kubeSpec(component, KUBE_E2E_OLD_VERSION, 'kubernetes-v1.32.0', true),
  );
}

function etcdSpecs(): BinarySpec[] {
  // Each etcd binary is the root package of its own module.
  const pkgs: Record<string, string> = {
    etcd: 'go.etcd.io/etcd/server/v3',
    etcdctl: 'go.etcd.io/etcd/etcdctl/v3',
    etcdutl: 'go.etcd.io/etcd/etcdutl/v3',
  };
  return ETCD_VERSIONS.flatMap((version) =>
    Object.entries(pkgs).map(([component, pkg]) => ({
      component,
      version,
      family: 'etcd' as const,
      module: ETCD_MODULES[version],
      pkg,
      tags: [],
      // The version number itself is a constant in go.etcd.io/etcd/api/v3/version.
      vars: [`go.etcd.io/etcd/api/v3/version.GitSHA=${version}`],
    })),
  );
}

function kwokSpecs(): BinarySpec[] {
  return ['kwok', 'kwokctl'].map((component) => ({
    component,
    version: KWOK_VERSION,
    family: 'kwok' as const,
    module: 'kwok',
    pkg: `sigs.k8s.io/kwok/cmd/${component}`,
    tags: [],
    vars: [`sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}`],
  }));
}

function imageToolSpecs(): BinarySpec[] {
  return [
    {
      component: 'kind',
      version: KIND_VERSION,
      family: 'kind',
      module: 'kind',
      pkg: 'sigs.k8s.io/kind',
      tags: [],
      vars: [],
      onDemand: true,
    },
    ...[
      { version: COREDNS_VERSION, module: 'coredns' },
      { version: COREDNS_NEXT_VERSION, module: `coredns-${COREDNS_NEXT_VERSION}` },
    ].map(({ version, module }) => ({
      component: 'coredns',
      version,
      family: 'coredns' as const,
      module,
      pkg: 'github.com/coredns/coredns',
      tags: [],
      vars: [],
      onDemand: true,
    })),
  ];
}

// The v1.0.0 tag's commit time as the module proxy reports it (`.info`), like KUBE_TAG_DATES.
const OCM_TAG_DATE = '2025-06-16T01:05:30Z';

/** OCM's own version variables (upstream's Makefile sets the same ones from git). */
function ocmSpecs(): BinarySpec[] {
  const m = /^v(\d+)\.(\d+)\./.exec(OCM_VERSION)!;
  const vars = [`versionFromGit=${OCM_VERSION}`, `majorFromGit=${m[1]}`, `minorFromGit=${m[2]}`, `buildDate=${OCM_TAG_DATE}`];
  return OCM_COMPONENTS.map((component) => ({
    component,
    version: OCM_VERSION,
    family: 'ocm' as const,
    module: 'ocm',
    pkg: `open-cluster-management.io/ocm/cmd/${component}`,
    tags: [],
    vars: vars.map((v) => `open-cluster-management.io/ocm/pkg/version.${v}`),
    onDemand: true,
  }));
}

/** The konnectivity server (a sidecar of a business kube-apiserver) and agent, built on demand (--family konnectivity). */
function konnectivitySpecs(): BinarySpec[] {
  return Object.entries(KONNECTIVITY_COMPONENTS).map(([component, dir]) => ({
    component,
    version: KONNECTIVITY_VERSION,
    family: 'konnectivity' as const,
    module: 'konnectivity',
    pkg: `sigs.k8s.io/apiserver-network-proxy/cmd/${dir}`,
    tags: [],
    vars: [],
    onDemand: true,
  }));
}

/** The Aggregator conformance test's sample-apiserver, on demand (upstream's image Makefile sets no version variables). */
function sampleApiserverSpecs(): BinarySpec[] {
  return [
    {
      component: 'sample-apiserver',
      version: SAMPLE_APISERVER_VERSION,
      family: 'sample-apiserver',
      module: 'sample-apiserver',
      pkg: 'k8s.io/sample-apiserver',
      tags: [],
      vars: [],
      onDemand: true,
    },
  ];
}

/** Every buildable component/version, in build order (cheap first, Kubernetes oldest first). */
export const CATALOG: readonly BinarySpec[] = [
  ...etcdSpecs(),
  ...kwokSpecs(),
  ...kubeOldReleaseSpecs(),
  ...kubeSpecs(),
  ...imageToolSpecs(),
  ...ocmSpecs(),
  ...konnectivitySpecs(),
  ...kubeConformanceSpecs(),
  ...sampleApiserverSpecs(),
];

export const COMPONENTS: readonly string[] = [...new Set(CATALOG.map((s) => s.component))];
/** What `npm run setup:bins` builds with no `--only`: everything the test suites run. */
export const DEFAULT_COMPONENTS: readonly string[] = [...new Set(CATALOG.filter((s) => !s.onDemand).map((s) => s.component))];

export function findSpec(component: string, version: string): BinarySpec | undefined {
  return CATALOG.find((s) => s.component === component && s.version === version);
}

/** Why `component` at `version` cannot be built from the wrapper modules, as a sentence; undefined when it can. */
export function unbuildableReason(component: string, version: string): string | undefined {
  const u = UNAVAILABLE.find((x) => x.component === component && x.version === version);
  if (u) return `${component} ${version} cannot be built from Go modules: ${u.reason}`;
  if (findSpec(component, version)) return undefined;
  const known = CATALOG.filter((s) => s.component === component).map((s) => s.version);
  return `${component} ${version} is not a binary kokpit builds${known.length ? ` (it builds ${component} ${known.join(', ')})` : ''}`;
}

/** Newest pinned version of a component. */
export function defaultVersion(component: string): string {
  const vs = CATALOG.filter((s) => s.component === component).map((s) => s.version);
  if (vs.length === 0) throw new Error(`unknown component ${component}; known: ${COMPONENTS.join(', ')}`);
  return vs[vs.length - 1];
}

/** `-ldflags` value for a spec: stripped, plus the version variables. */
export function ldflags(spec: BinarySpec): string {
  return ['-s', '-w', ...spec.vars.map((v) => `-X ${v}`)].join(' ');
}
