// The command table: names, summaries and usage, light enough for `kokpit --help` and `kokpit <command> --help`.
// Each command's code (and the dependencies only it needs) loads when that command runs: in the bundle every
// import() below is a chunk of its own (scripts/build.mjs defines KOKPIT_BUNDLE, so esbuild drops the require());
// the TypeScript sources run under tsx/cjs, whose import() cannot load a .ts file, so they require() it.
// test/unit/cli/registry.test.ts loads every entry, so a wrong module or export name fails there.
import type { Command } from './command';
import { sandboxRoot } from '../local/sandbox-state';
import { VALIDATE_ENTRY } from './validate-entry';

declare const KOKPIT_BUNDLE: true | undefined;

export interface CommandEntry {
  name: string;
  summary: string;
  usage: string;
  load(): Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  {
    ...VALIDATE_ENTRY, // also in the validate bundle (validate-main.ts)
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/validate') : await import('./commands/validate')).validateCommand,
  },
  {
    name: 'versions',
    summary: 'List the Kubernetes version catalog of the meta cluster, or add versions to it',
    usage:
      'kokpit versions list [-o table|json] [--kubeconfig <file>] [--context <name>]\n' +
      '       kokpit versions add -f <file> [-f <file>…] [--kubeconfig <file>] [--context <name>]\n\n' +
      'Files hold kokpit.dev/v1alpha1 KubernetesVersion documents (metadata.name = spec.version). Every file is\n' +
      'checked first; nothing is applied if any has an error. Business clusters may use Supported and Preview versions.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/versions') : await import('./commands/versions')).versionsCommand,
  },
  {
    name: 'sandbox',
    summary: 'A local meta cluster without Docker: `kokpit up --runtime sandbox` (start), `kokpit down` (stop), `kokpit status`',
    usage:
      'kokpit sandbox start [--name N] [--version V] [--nodes N] [--detach] [--with-sample] [--config FILE] [-v]\n' +
      '       kokpit sandbox stop [--name N]\n' +
      '       kokpit sandbox status [--name N]\n\n' +
      'Other names for `kokpit up --runtime sandbox`, `kokpit down` and `kokpit status`: the same environment, state\n' +
      'and default name ("kokpit"), whichever command started it.\n' +
      'start   etcd, kube-apiserver and kube-controller-manager as local processes on 127.0.0.1, the kokpit CRDs,\n' +
      '        catalog and reconcilers, and a pod runner node whose pods run as local processes; a kubeconfig\n' +
      '        (mode 0600). --nodes N adds N kwok-simulated nodes (no kubelet, no scheduler: a pod that names one\n' +
      '        is reported Running, nothing runs). Runs until Ctrl-C, or in the background with --detach.\n' +
      'stop    stops everything it started and removes its state.\n' +
      'status  shows it, the manager and the business clusters.\n\n' +
      `State: ${sandboxRoot()}/<name> (override the parent with KOKPIT_SANDBOX_DIR).`,
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/sandbox') : await import('./commands/sandbox')).sandboxCommand,
  },
  {
    name: 'operator',
    summary: 'Run every kokpit reconciler (etcd, clusters) against a meta cluster, with leader election',
    usage:
      'kokpit operator [--kubeconfig FILE] [--context NAME] [--namespace kokpit-system] [--install-crds] [--no-leader-elect] ' +
      '[--lease-duration 15] [--etcd-access pod-ip|port-forward]\n' +
      '                [--metrics-bind-address 0|HOST:PORT] [--health-probe-bind-address 0|HOST:PORT] [--controllers LIST]\n' +
      '                [--concurrent-cluster-syncs 8] [-v]\n\n' +
      'Runs in the foreground until SIGINT/SIGTERM. Only one manager per meta cluster reconciles (Lease\n' +
      '<namespace>/kokpit-manager); others wait and take over when it stops or dies.\n' +
      "--etcd-access port-forward: reach etcd members through the API server's pod port-forward (when this\n" +
      "process runs outside the meta cluster's pod network); pod-ip (default) dials pod IPs directly.\n" +
      "--metrics-bind-address: serve Prometheus /metrics (controller-runtime's names, and kokpit_* fleet gauges);\n" +
      '--health-probe-bind-address: serve /healthz and /readyz. Both as controller-runtime reads them (:8080 = every\n' +
      'interface, 127.0.0.1:0 = a free loopback port); 0 (default) serves nothing.\n' +
      "--controllers: the operators to run, of etcd,cluster,machine,rollout (default all), as kube-controller-manager's\n" +
      'flag: e.g. two managers, each with its own --namespace for its lease, running different operators; multicluster\n' +
      '(only when named: needs the OCM hub) registers business clusters with it, their agents reaching them by Service name.\n' +
      '--concurrent-cluster-syncs: BusinessClusters reconciled at once (default 8; one cluster is never passed twice at once).',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/operator') : await import('./commands/operator')).operatorCommand,
  },
  {
    name: 'install',
    summary: 'Install the kokpit manager (CRDs, RBAC, a 2-replica Deployment) into a meta cluster',
    usage:
      'kokpit install [--image IMAGE] [--replicas N] [--timeout 5m] [--no-wait] [--dry-run [-o yaml|json]] [--kubeconfig FILE]\n' +
      '               [--context NAME] [--with-multicluster]\n\n' +
      '--with-multicluster: also the multicluster operator (OCM registration) and its grants, as\n' +
      '`kubectl apply -k config/with-multicluster`; the OCM hub itself comes from `kokpit up --with-ocm`.\n' +
      'Server-side applies config/default (what `kubectl apply -k config/default` applies): the CRDs first, then the\n' +
      'namespace kokpit-system, the ServiceAccount and its least-privilege RBAC, and the manager Deployment (leader\n' +
      'election, /healthz and /readyz probes, /metrics on :8443). Missing permissions are named before anything is\n' +
      'applied; running it again converges. --dry-run -o yaml prints the objects instead.\n' +
      'Then waits (up to --timeout; --no-wait returns once applied) until the Deployment is rolled out and available and\n' +
      'one of its pods holds the lease, a line per change; stops at once when a pod cannot get its image (ErrImagePull,\n' +
      "ImagePullBackOff, InvalidImageName: the image, the node, the runtime's words and how to get the image there) or\n" +
      'crash-loops (its last exit and log lines). Everything stays applied: fix it and run install again.\n' +
      'Exit status: 0 installed (and a pod holds the lease unless --no-wait), 1 not reachable, a permission missing, a\n' +
      'pod fault or the timeout, 2 usage error.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/install') : await import('./commands/install')).installCommand,
  },
  {
    name: 'uninstall',
    summary: 'Remove the kokpit manager from a meta cluster (CRDs and kokpit objects stay unless --purge)',
    usage:
      'kokpit uninstall [--purge] [--kubeconfig FILE] [--context NAME]\n\n' +
      'Deletes the Deployment, RBAC, ServiceAccount and the kokpit-system namespace (with the leader Lease).\n' +
      '--purge first deletes every kokpit object (the manager still runs their finalizers), then the CRDs.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/install') : await import('./commands/install')).uninstallCommand,
  },
  {
    name: 'metrics',
    summary: "The running manager's metrics: reconciles, queues, the lease, the fleet (--raw: Prometheus text)",
    usage:
      'kokpit metrics [--name N] [--url http://HOST:PORT] [--raw] [--kubeconfig FILE] [--context NAME] [-n kokpit-system]\n' +
      '               [--token-file FILE | --service-account NS/NAME] [--certificate-authority FILE] [--insecure-skip-tls-verify]\n\n' +
      "Reads /metrics of the manager a local environment runs on the host (its address is in the environment's state),\n" +
      'of any manager at --url (e.g. `kokpit operator --metrics-bind-address 127.0.0.1:8080`), or else of the manager\n' +
      "pod holding the meta cluster's lease (`kokpit install`, `kokpit up --manager in-cluster`): at its pod IP when that\n" +
      "is a sandbox process (127.x), otherwise through the API server's port-forward (needs create pods/portforward).\n" +
      'It serves HTTPS and takes a bearer token allowed to `get /metrics`: --token-file, else a TokenRequest for\n' +
      "--service-account, else your kubeconfig's own token, else a TokenRequest for a ServiceAccount bound to ClusterRole\n" +
      'kokpit-metrics-reader (a client certificate cannot be passed on). Its self-signed certificate is not checked\n' +
      'unless --certificate-authority: the port-forward or the local process already is the pod.\n' +
      'Exit status: 0 read, 1 no manager to read, not reachable or not allowed, 2 usage error.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/metrics') : await import('./commands/metrics')).metricsCommand,
  },
  {
    name: 'up',
    summary: "Create (or reuse) a local meta cluster running kokpit's reconcilers; --with-sample adds a Ready business cluster",
    usage:
      'kokpit up [--name N] [--config kokpit.yaml] [--runtime sandbox|kind] [--with-sample] [--detach] [-v]\n' +
      '          [--version V] [--nodes N] [--manager host|in-cluster] [--with-ocm]\n\n' +
      '--with-ocm: the Open Cluster Management hub in the meta cluster, every business cluster a ManagedCluster. kind: the\n' +
      'manager on the host unless --manager in-cluster (its pods then run the multicluster operator, `kokpit install\n' +
      '--with-multicluster`), OCM images from hack/offline-images/ocm-images.sh;\n' +
      'on a running kind environment it adds the hub and prints how to run the multicluster operator beside its manager.\n' +
      "--version: the meta cluster's Kubernetes version. --nodes N (sandbox): N kwok-simulated nodes in the meta cluster.\n" +
      '--manager in-cluster: the manager as the 2 pods `kokpit install` creates (default on kind; sandbox default: host, in the\n' +
      '`kokpit up` process). Sandbox: ' +
      "run by the pod runner. kind: pods of the kind node that mount the host's Docker socket for kind Machines, as Cluster API's\n" +
      "Docker provider does, and the environment's backups directory (the namespace then enforces the privileged Pod Security level).\n" +
      'Runtime: kind when Docker is reachable and `kind` is on PATH, else the sandbox (no Docker: etcd,\n' +
      "kube-apiserver and kube-controller-manager as local processes; business clusters' etcd and control-plane\n" +
      "pods run as real local processes through kokpit's pod runner; worker nodes are simulated).\n" +
      'kind: preflight, `kind create cluster` (or reuse), then the same install and manager as the sandbox; the\n' +
      "manager runs on the host. Business API servers: 127.0.0.1:<port> from kokpit.yaml's reserved range.\n" +
      'Runs in the foreground until Ctrl-C, or in the background with --detach (stop with `kokpit down`).',
    load: async () => (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/up') : await import('./commands/up')).upCommand,
  },
  {
    name: 'down',
    summary: 'Stop a local environment started by `kokpit up` (manager, pod runner processes, control plane)',
    usage: 'kokpit down [--name N]\n\nExit code 0 when everything stopped, 1 when a process is left running.',
    load: async () => (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/down') : await import('./commands/down')).downCommand,
  },
  {
    name: 'status',
    summary: 'Show the meta cluster, the manager and every business cluster (phase, version, endpoint, etcd, machines)',
    usage: 'kokpit status [--name ENV] [--kubeconfig FILE] [--context NAME]',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/status') : await import('./commands/status')).statusCommand,
  },
  {
    name: 'kubeconfig',
    summary: 'Write the admin kubeconfig of a business cluster to a file (mode 0600), or --merge it into your kubeconfig',
    usage:
      'kokpit kubeconfig <cluster> [-n NAMESPACE] [-o FILE|-] [--kubeconfig FILE] [--context NAME] [--name ENV]\n' +
      '       kokpit kubeconfig <cluster> --merge [--kubeconfig-out FILE] [--use] [-n NAMESPACE] [meta flags]\n\n' +
      "-o FILE  where to write it (default: the local environment's directory, else ~/.config/kokpit/kubeconfigs/)\n" +
      '-o -     print it to stdout instead (it holds a client key: handle with care)\n' +
      "--merge  add it to your kubeconfig ($KUBECONFIG's first file, else ~/.kube/config; or --kubeconfig-out FILE) as\n" +
      '         cluster, user and context kokpit/<namespace>/<cluster>; other entries and current-context are kept\n' +
      '         (--use switches current-context to it)',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/kubeconfig') : await import('./commands/kubeconfig')).kubeconfigCommand,
  },
  {
    name: 'get',
    summary: 'List kokpit objects (clusters, etcd, machines, versions, addons, rollouts) and OCM ones (managedclusters, works, placements)',
    usage:
      'kokpit get clusters|etcd|machines|versions|addons|rollouts|managedclusters|works|placements [-n NAMESPACE] ' +
      '[-o wide|yaml|json] [--kubeconfig FILE] [--context NAME] [--name ENV]',
    load: async () => (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/get') : await import('./commands/get')).getCommand,
  },
  {
    name: 'render',
    summary: 'Print the meta-cluster objects a BusinessCluster or EtcdCluster would produce (offline)',
    usage:
      'kokpit render -f FILE [--catalog FILE|DIR] [-o yaml|json]\n\n' +
      "Runs the cluster reconciler's own render parts. Catalog: the file's KubernetesVersion and Addon documents,\n" +
      "then --catalog's (a file, or a directory's .yaml files), then kokpit's default one.\n" +
      // local/render.ts RENDERED_ANNOTATION, written out to keep the renderers off this path (test/unit/cli/registry.test.ts).
      'Secrets hold placeholders (annotated kokpit.dev/rendered-offline);\n' +
      'owner references carry a zero uid; Service type Auto is shown as NodePort.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/render') : await import('./commands/render')).renderCommand,
  },
  {
    name: 'apply',
    summary: 'Validate and server-side apply manifests to the meta cluster',
    usage: 'kokpit apply -f FILE [-n NAMESPACE] [--dry-run] [--kubeconfig FILE] [--context NAME] [--name ENV]',
    load: async () => (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/apply') : await import('./commands/apply')).applyCommand,
  },
  {
    name: 'backup',
    summary: 'Take a snapshot of an etcd cluster (an EtcdBackup); --wait follows it to completion',
    usage:
      'kokpit backup <etcd-cluster> [-n NAMESPACE] [--backup-name NAME] [--wait] [--timeout 10m] ' +
      '[--kubeconfig FILE] [--context NAME] [--name ENV]',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/backup') : await import('./commands/backup')).backupCommand,
  },
  {
    name: 'restore',
    summary: 'Create a new etcd cluster from a backup (EtcdBackup); --wait follows it until Available',
    usage:
      'kokpit restore <etcd-backup> --into <new-etcd-cluster> [-n NAMESPACE] [--replicas 1|3|5] [--version 3.5.x] [--wait] ' +
      '[--timeout 10m] [--kubeconfig FILE] [--context NAME] [--name ENV]',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/restore') : await import('./commands/restore')).restoreCommand,
  },
  {
    name: 'upgrade',
    summary: 'Upgrade a business cluster to a catalog version and follow its progress',
    usage:
      'kokpit upgrade <cluster> --to VERSION [-n NAMESPACE] [--timeout 20m] [--no-wait] ' +
      '[--kubeconfig FILE] [--context NAME] [--name ENV]\n\n' +
      "The version must be Supported or Preview in the meta cluster's catalog (`kokpit versions list`); downgrades are refused.\n" +
      'Several minors are taken one at a time by the operator. Exit 0 once the cluster runs VERSION and is Ready; 1 on a\n' +
      'failure that persists or on timeout.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/upgrade') : await import('./commands/upgrade')).upgradeCommand,
  },
  {
    name: 'rollout',
    summary: 'Upgrade many business clusters in waves (a FleetRollout): create, status, pause, resume, retry',
    usage:
      'kokpit rollout create [NAME] --to VERSION | --addon NAME=VERSION --selector k=v[,k=v] [--waves 1,25%,100%] [--soak 10m]\n' +
      '                      [--max-failures 0] [--max-concurrency 1] [--deadline 30m] [-n NAMESPACE] [--ignore-windows]\n' +
      '                      [--include-machines] [--not-ready-grace 2m] [--dry-run]\n' +
      '       kokpit rollout status NAME [--watch]\n' +
      '       kokpit rollout pause|resume|retry NAME\n' +
      '       (each with [--kubeconfig FILE] [--context NAME] [--name ENV])\n\n' +
      '--waves: cumulative sizes, a count or a percent of the selected clusters; the last must be 100%. Clusters labelled\n' +
      'kokpit.dev/wave=<wave-N> are put in that wave. A wave starts when every cluster of the one before is Ready at the\n' +
      'target for --soak, failed or skipped. --dry-run prints the wave plan. retry puts skipped and failed clusters back in line.\n' +
      'A cluster starts only inside its maintenance windows (BusinessCluster spec.maintenance.windows) unless --ignore-windows.\n' +
      'A cluster not Ready at its turn is waited for up to --not-ready-grace (default 2m; 0s skips it at once), holding no\n' +
      'concurrency slot, then skipped.\n' +
      "--addon moves the pin (spec.addons[].version) of the clusters that list the addon. --include-machines: a cluster's\n" +
      "MachineSets' kubelet follows its control plane before the cluster counts as done.",
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/rollout') : await import('./commands/rollout')).rolloutCommand,
  },
  {
    name: 'addons',
    summary: 'Import Addon definitions into the meta cluster (files, directories, or the built-in ones), or list them',
    usage:
      'kokpit addons import <dir|file>... [--builtin] [--dry-run] [--kubeconfig FILE] [--context NAME] [--name ENV]\n' +
      '       kokpit addons list [-o wide|yaml|json] [--kubeconfig FILE] [--context NAME] [--name ENV]\n\n' +
      'A directory stands for its *.yaml and *.yml files. Every document must be a valid kokpit.dev/v1alpha1 Addon;\n' +
      'if any is not, nothing is imported. --builtin adds the definitions kokpit ships (coredns, kube-proxy).',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/addons') : await import('./commands/addons')).addonsCommand,
  },
  {
    name: 'register',
    summary: 'Register a cluster kokpit did not create with the OCM hub (a ManagedCluster, its agent hosted in the meta cluster)',
    usage:
      'kokpit register NAME --kubeconfig FILE [--context CTX] [--labels k=v[,k=v…]] [--lease-duration 60] [--timeout 5m] [--no-wait]\n' +
      '                [--meta-kubeconfig FILE] [--meta-context NAME] [--name ENV]\n\n' +
      '--kubeconfig is the cluster to register (certificate, token, exec plugin or auth provider), used only here to give the\n' +
      'agent its own ServiceAccount and token there (in a Secret of the meta cluster, never printed). The meta cluster:\n' +
      '--meta-kubeconfig, $KUBECONFIG or the local environment.\n' +
      "Checked before anything is written: the hub is installed (`kokpit up --with-ocm`), NAME is free (not a BusinessCluster's,\n" +
      "not another import's), the cluster answers and its user may do what the agent needs. Running it again converges.\n" +
      'Exit status: 0 registered (Joined and Available unless --no-wait), 1 refused (the reason first: HubNotInstalled,\n' +
      'NameTaken, InvalidKubeconfig, Unreachable, Unauthorized, Forbidden) or not Available in --timeout, 2 usage error.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/register') : await import('./commands/register')).registerCommand,
  },
  {
    name: 'deregister',
    summary: 'Remove a cluster `kokpit register` added: its ManagedCluster, hub namespace, hosted agent and credentials',
    usage:
      'kokpit deregister NAME [--timeout 5m] [--ignore-not-found] [--force]\n' +
      '                  [--meta-kubeconfig FILE] [--meta-context NAME] [--name ENV]\n\n' +
      "Refuses a BusinessCluster's ManagedCluster (delete the BusinessCluster, or set spec.multicluster.register: false) and\n" +
      'ones kokpit did not create. Works are removed by the agent first; --force, for a cluster that is gone for good, drops\n' +
      'their finalizers instead (what they applied stays there). Exit status: 0 removed (or nothing to remove with\n' +
      '--ignore-not-found), 1 refused (NotRegistered, NotOurs) or not finished in --timeout (run it again), 2 usage error.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/register') : await import('./commands/register')).deregisterCommand,
  },
  {
    name: 'diff',
    summary: 'Show what `kokpit apply -f` would change in the meta cluster (server-side dry run)',
    usage:
      'kokpit diff -f FILE [-n NAMESPACE] [--kubeconfig FILE] [--context NAME] [--name ENV]\n\n' +
      'Exit status: 0 no differences, 1 differences, 2 an error. Secret values are shown as hashes only.',
    load: async () => (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/diff') : await import('./commands/diff')).diffCommand,
  },
  {
    name: 'deploy',
    summary: "Deploy a YAML file's objects to the ManagedClusters a label selector picks (OCM ManifestWorkReplicaSet + Placement)",
    usage:
      'kokpit deploy FILE --selector k=v[,k=v] [-n NAMESPACE] [--work-name N] [--cluster-set global] [--dry-run [-o yaml|json]]\n' +
      '              [--kubeconfig FILE] [--context NAME] [--name ENV]\n\n' +
      'Every object of FILE goes into one ManifestWorkReplicaSet whose Placement selects the clusters by label; both are named\n' +
      "--work-name (default: the file's name as a DNS label) in NAMESPACE of the meta cluster (default: default), which is bound\n" +
      'to the ManagedClusterSet --cluster-set (default global: every cluster). Objects without a namespace go to default.\n' +
      "Deployments, StatefulSets, DaemonSets and Jobs report their status back to the hub's ManifestWorks.\n" +
      'Refused before anything is created: a file with no object, an object without a name or with generateName, a hub-only\n' +
      'kind (OCM, kokpit.dev), over 500 KiB, a selector that picks no ManagedCluster, OCM not installed (kokpit up --with-ocm).\n' +
      'Exit status: 0 applied (or printed with --dry-run, which needs no cluster), 1 refused or failed, 2 usage error.',
    load: async () =>
      (typeof KOKPIT_BUNDLE === 'undefined' ? require('./commands/deploy') : await import('./commands/deploy')).deployCommand,
  },
];
