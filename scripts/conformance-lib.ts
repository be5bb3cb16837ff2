// The pure parts of `npm run test:conformance` (scripts/conformance.ts): its command line, the CI subset of
// upstream's conformance tests, and the summary read back from the JUnit report e2e.test writes. Unit-tested in
// test/unit/scripts/conformance.test.ts.
import { parseArgs } from 'node:util';

/**
 * Tests that need the business API server to reach pod IPs or Service IPs of the business cluster, which a control
 * plane hosted in the meta cluster cannot yet: the business pod and Service networks are not routed from the meta
 * cluster (both use 10.244.0.0/16; the packets leave by the default route and come back as `resolve_deny: denied
 * destination`). The `pods/proxy` and `services/proxy` subresources (the DNS tests and PreStop read their results that
 * way), admission webhooks and CRD conversion webhooks (the API server calls a Service in the business cluster). Each
 * was seen failing that way (README "Conformance"); left out of `--ci` until it can. With `spec.apiServer.egress:
 * Konnectivity` (`--konnectivity`) all of them passed (README "Conformance").
 */
export const NEEDS_APISERVER_TO_POD: readonly string[] = [
  '[sig-network] DNS should provide DNS for the cluster [Conformance]',
  '[sig-network] DNS should provide DNS for services [Conformance]',
  '[sig-network] Proxy version v1 should proxy through a service and a pod [Conformance]',
  '[sig-node] PreStop should call prestop when killing a pod [Conformance]',
  '[sig-apps] ReplicaSet should serve a basic image on each replica with a public image [Conformance]',
  '[sig-apps] ReplicationController should serve a basic image on each replica with a public image [Conformance]',
  '[sig-cli] Kubectl client Update Demo should create and stop a replication controller [Conformance]',
  '[sig-cli] Kubectl client Update Demo should scale a replication controller [Conformance]',
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] listing mutating webhooks should work [Conformance]',
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] listing validating webhooks should work [Conformance]',
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] patching/updating a mutating webhook should work [Conformance]',
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] ' + 'patching/updating a validating webhook should work [Conformance]',
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] ' +
    'should be able to deny custom resource creation, update and deletion [Conformance]',
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] should deny crd creation [Conformance]',
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] should mutate configmap [Conformance]',
  '[sig-api-machinery] AdmissionWebhook [Privileged:ClusterAdmin] ' +
    'should unconditionally reject operations on fail closed webhook [Conformance]',
  '[sig-api-machinery] CustomResourceConversionWebhook [Privileged:ClusterAdmin] ' +
    'should be able to convert a non homogeneous list of CRs [Conformance]',
  '[sig-api-machinery] CustomResourceFieldSelectors [Privileged:ClusterAdmin] CustomResourceFieldSelectors ' +
    'MUST list and watch custom resources matching the field selector [Conformance]',
];

/** Why a failed test is expected to fail here (README "Conformance"); undefined for a failure nothing explains. */
export function explainFailure(name: string): string | undefined {
  return NEEDS_APISERVER_TO_POD.includes(name) ? 'needs the business API server to reach pod IPs' : undefined;
}

/**
 * The CI subset (`--ci`): pods, services (reached by name from a pod, so through the cluster's DNS), ConfigMaps and
 * Secrets, RBAC (SubjectAccessReview and service account tokens, as the authorizer sees them), Deployments, and
 * exec/logs/port-forward through the business API server. Full ginkgo names of v1.33's [Conformance] tests
 * (test/conformance/testdata/conformance.yaml), plus two of `kubectl port-forward`'s tests, which are not
 * [Conformance] (the conformance set has no port-forward test).
 */
export const CI_TESTS: readonly string[] = [
  '[sig-node] Pods should be submitted and removed [NodeConformance] [Conformance]',
  '[sig-node] Pods should get a host IP [NodeConformance] [Conformance]',
  '[sig-node] Pods should support remote command execution over websockets [NodeConformance] [Conformance]',
  '[sig-node] Pods should support retrieving logs from the container over websockets [NodeConformance] [Conformance]',
  '[sig-cli] Kubectl logs logs should be able to retrieve and filter logs [Conformance]',
  '[sig-cli] Kubectl Port forwarding With a server listening on localhost that expects a client request ' +
    'should support a client that connects, sends DATA, and disconnects',
  '[sig-cli] Kubectl Port forwarding With a server listening on localhost should support forwarding over websockets',
  '[sig-network] Services should serve a basic endpoint from pods [Conformance]',
  '[sig-network] Services should serve multiport endpoints from pods [Conformance]',
  '[sig-network] Services should be able to create a functioning NodePort service [Conformance]',
  '[sig-node] ConfigMap should be consumable via environment variable [NodeConformance] [Conformance]',
  '[sig-storage] ConfigMap should be consumable from pods in volume [NodeConformance] [Conformance]',
  '[sig-node] Secrets should be consumable from pods in env vars [NodeConformance] [Conformance]',
  // Both read `data-1` back through `sh -c env`: the busybox image's ash must keep non-identifier variables
  // (hack/offline-images/busybox-upstream.sh; Debian's busybox failed these two).
  '[sig-node] ConfigMap should be consumable via the environment [NodeConformance] [Conformance]',
  '[sig-node] Secrets should be consumable via the environment [NodeConformance] [Conformance]',
  '[sig-storage] Secrets should be consumable from pods in volume [NodeConformance] [Conformance]',
  '[sig-auth] SubjectReview should support SubjectReview API operations [Conformance]',
  '[sig-auth] ServiceAccounts should mount an API token into pods [Conformance]',
  '[sig-auth] ServiceAccounts ServiceAccountIssuerDiscovery should support OIDC discovery of service account issuer [Conformance]',
  '[sig-apps] Deployment RollingUpdateDeployment should delete old pods and create new ones [Conformance]',
  '[sig-apps] Deployment deployment should support rollover [Conformance]',
];

/**
 * A ginkgo focus regular expression matching these full test names. Anchored at the end only: the text ginkgo
 * matches does not start with the name (an anchored `^[sig-node] Pods …` matches nothing), and every name starts
 * with its `[sig-…]`, so no other test ends with one of them.
 */
export function focusFor(names: readonly string[]): string {
  return names.map((n) => `${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`).join('|');
}

export interface ConformanceOptions {
  /** ginkgo focus; default every [Conformance] test. */
  focus: string;
  skip?: string;
  /** A running business cluster (else one is brought up and torn down). */
  cluster?: string;
  /** Meta-cluster flags passed to `kokpit kubeconfig` with --cluster (-n, --name, --kubeconfig, --context). */
  metaArgs: string[];
  /** Leave the environment this run brought up. */
  keep: boolean;
  /** Where the run's logs and reports go (default: a new directory under ~/.cache/kokpit/conformance). */
  runDir?: string;
  /** Skip the setup (engine, images, e2e.test): the caller built them (the e2e's step 1 does). */
  noSetup?: true;
  /**
   * --ci: a failed spec runs once more (ginkgo's flake attempts), so one overload blip of the shared CI machine (an API
   * server EOF mid-test, seen at load 70) does not fail CI; a spec that fails twice still does, and the summary counts
   * the retried ones (flakedIn).
   */
  flakeAttempts?: number;
  /**
   * --konnectivity: before e2e.test, the brought-up business cluster switches to `spec.apiServer.egress: Konnectivity`
   * (its API server reaches pods and Services through konnectivity-agent; README "Conformance").
   */
  konnectivity?: true;
}

export const USAGE =
  'usage: npm run test:conformance -- [--ci | --focus REGEX] [--skip REGEX] [--cluster NAME [-n NS] [--name ENV]\n' +
  '       [--kubeconfig FILE] [--context CTX]] [--keep] [--run-dir DIR] [--no-setup]\n' +
  '  --ci        the fixed CI subset (scripts/conformance-lib.ts CI_TESTS)\n' +
  '  --focus     ginkgo focus (default: \\[Conformance\\], the whole set)\n' +
  '  --cluster   a running business cluster (its kubeconfig via `kokpit kubeconfig`); without it a kind meta cluster\n' +
  '              and a business cluster with two kind machines are brought up and torn down afterwards (--keep: left up)\n' +
  '  --no-setup  the Docker engine, the images (build-images.sh --conformance) and e2e.test are already built\n' +
  '  --konnectivity  the brought-up business cluster gets spec.apiServer.egress: Konnectivity before the tests\n' +
  '              (images: hack/offline-images/konnectivity-images.sh; not with --cluster)\n';

export function parseConformanceArgs(argv: string[]): ConformanceOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ci: { type: 'boolean' },
      focus: { type: 'string' },
      skip: { type: 'string' },
      cluster: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      name: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      keep: { type: 'boolean' },
      'run-dir': { type: 'string' },
      'no-setup': { type: 'boolean' },
      konnectivity: { type: 'boolean' },
    },
  });
  if (values.konnectivity && values.cluster)
    throw new Error('--konnectivity switches the business cluster this run brings up: not with --cluster');
  if (values.ci && values.focus) throw new Error('--ci and --focus exclude each other');
  const meta = ['namespace', 'name', 'kubeconfig', 'context'] as const;
  const metaArgs = meta.flatMap((k) => (values[k] ? [`--${k}`, values[k]] : []));
  if (metaArgs.length && !values.cluster) throw new Error(`${metaArgs[0]} needs --cluster (it names the running cluster's meta cluster)`);
  return {
    focus: values.ci ? focusFor(CI_TESTS) : (values.focus ?? '\\[Conformance\\]'),
    ...(values.skip ? { skip: values.skip } : {}),
    ...(values.cluster ? { cluster: values.cluster } : {}),
    metaArgs,
    keep: values.keep === true,
    ...(values['run-dir'] ? { runDir: values['run-dir'] } : {}),
    ...(values['no-setup'] ? { noSetup: true as const } : {}),
    ...(values.ci ? { flakeAttempts: 2 } : {}),
    ...(values.konnectivity ? { konnectivity: true as const } : {}),
  };
}

/**
 * e2e.test's command line: the skeleton provider (no cloud), the business cluster's kubeconfig, its JUnit report
 * directory, the focus and skip, and a suite timeout of 24 h instead of ginkgo's default 1 h (the whole
 * [Conformance] set takes hours on a small machine, and ginkgo would stop it at the hour, reporting the rest as
 * interrupted).
 */
export function e2eArgs(o: ConformanceOptions, p: { kubeconfig: string; kubectl: string; reportDir: string }): string[] {
  return [
    '--provider=skeleton',
    `--kubeconfig=${p.kubeconfig}`,
    `--kubectl-path=${p.kubectl}`,
    `--report-dir=${p.reportDir}`,
    `--ginkgo.focus=${o.focus}`,
    ...(o.skip ? [`--ginkgo.skip=${o.skip}`] : []),
    ...(o.flakeAttempts ? [`--ginkgo.flake-attempts=${o.flakeAttempts}`] : []),
    '--ginkgo.timeout=24h',
    '--ginkgo.no-color',
  ];
}

export interface JUnitCase {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  seconds: number;
  /** The failure message's first line, for a failed case. */
  message?: string;
}

export interface JUnitSummary {
  passed: number;
  failed: number;
  skipped: number;
  cases: JUnitCase[];
}

const unescapeXml = (s: string) =>
  s.replace(/&(#\d+|#x[0-9a-f]+|lt|gt|amp|quot|apos);/gi, (_, e: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (e[0] !== '#') return named[e.toLowerCase()]!;
    return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescapeXml(m[1]!) : undefined;
};

/** Suite-level nodes ginkgo reports as test cases ([SynchronizedBeforeSuite], [ReportAfterSuite], …). */
const SUITE_NODE = /^\[(Synchronized)?(Before|After)Suite\]|^\[Report(Before|After)Suite\]/;

/**
 * Counts a ginkgo JUnit report. Ginkgo lists every spec of the suite, the ones the focus filtered out as skipped with
 * the bare message "skipped": those are not part of the run and are left out. A spec skipped at run time (its
 * message says why) counts as skipped; a suite-level node counts only when it failed.
 */
export function summarizeJUnit(xml: string): JUnitSummary {
  const cases: JUnitCase[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const head = m[1]!;
    const body = m[3] ?? '';
    const name = (attr(head, 'name') ?? '').replace(/^\[It\] /, '');
    const seconds = Number(attr(head, 'time') ?? 0);
    // e2e.test leaves the message attribute empty and puts the failure in the element's text.
    const failure = /<(failure|error)\b([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    if (failure) {
      const text = attr(failure[2] ?? '', 'message') || unescapeXml(failure[4] ?? '');
      const message = text.trim().split('\n')[0];
      cases.push({ name, status: 'failed', seconds, ...(message ? { message } : {}) });
      continue;
    }
    if (SUITE_NODE.test(name)) continue;
    const skipped = /<skipped\b([^>]*)/.exec(body);
    if (skipped) {
      const message = attr(skipped[1] ?? '', 'message') ?? '';
      if (message === '' || message === 'skipped') continue;
      cases.push({ name, status: 'skipped', seconds, message });
      continue;
    }
    cases.push({ name, status: 'passed', seconds });
  }
  const count = (s: JUnitCase['status']) => cases.filter((c) => c.status === s).length;
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), cases };
}

export const summaryLine = (s: JUnitSummary) => `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;

/**
 * How many specs passed only on a retry, from ginkgo's last line in e2e.log (`… | 1 Flaked | …`): the JUnit report
 * e2e.test writes has no trace of an attempt that failed before one passed.
 */
export function flakedIn(e2eLog: string): number {
  const m = /\|\s*(\d+) Flaked\s*\|/.exec(e2eLog.slice(-4000));
  return m ? Number(m[1]) : 0;
}
