/**
 * kokpit's process pod runner: acts as the kubelet of one Node and runs the containers of the pods
 * bound to it as local processes, so what the operators render really runs without a container runtime.
 *
 * Image mapping: a container image maps to a binary built by kokpit (`npm run setup:bins`, cache
 * ~/.cache/kokpit/bin/<component>/<version>/) by the last segment of its repository and its tag; the
 * registry is ignored. `registry.k8s.io/etcd:3.5.35-0` (or `quay.io/coreos/etcd:v3.5.35`) runs etcd
 * v3.5.35 (etcdctl/etcdutl on PATH), `…/kube-apiserver|kube-controller-manager|kube-scheduler|kubectl:v1.33.13`
 * the Kubernetes binaries of that release, `…/kwok:v0.7.0` kwok. `command[0]` may name any command of the
 * image (bare or absolute path) or a host shell (`sh -c`). An image without a local build leaves the
 * container Waiting with reason ErrImagePull and a message naming the image and the known mappings.
 * `…/kokpit-manager:<this kokpit's version>` runs this kokpit itself (bin/kokpit.js on this node).
 *
 * API access: every container gets KUBERNETES_SERVICE_HOST/PORT; one that mounts the ServiceAccount volume
 * (/var/run/secrets/kubernetes.io/serviceaccount, a TokenRequest token) also gets KUBECONFIG, an equivalent
 * kubeconfig with that token by file (in-cluster.ts), so it reaches the API server as its ServiceAccount.
 *
 * Addresses: each runner claims a loopback block 127.0.<b>.0/24 (machine-wide lock files; b = 0 first).
 * The Node's InternalIP is 127.0.<b>.1 and each pod gets its own 127.0.<b>.2–254 as podIP, kept for the
 * same namespace/name across re-creation; an address something already listens on (an orphan of a
 * killed runner) is skipped, and containers get PR_SET_PDEATHSIG (`setpriv`) so they die with the
 * runner. hostNetwork pods share the node address. Inside a container, listen addresses that mean "this pod"
 * (0.0.0.0, 127.0.0.1, localhost:<port>) in args and env are rewritten to the pod IP, and volume mount
 * paths to the host directories holding the volumes (under <stateDir>/pods/<uid>/); every rewrite is
 * logged once per container. Probes target the pod IP.
 *
 * Names: every container runs in its own mount namespace (`unshare --mount`, root or a user namespace)
 * with a per-pod hosts file bind-mounted over /etc/hosts; Go's resolver (and glibc's) read it, and it
 * is rewritten in place when Services, EndpointSlices or readiness change. It lists `<svc>`,
 * `<svc>.<ns>`, `<svc>.<ns>.svc[.cluster.local]` (ready endpoints' pod IPs; there is no ClusterIP or
 * kube-proxy) and `<hostname>.<subdomain>…` for headless Services. The host's /etc/hosts is untouched.
 *
 * The Node is registered Ready and kept alive through its Lease in kube-node-lease; pod status is
 * reported through pods/status like the kubelet (phase, podIP, conditions, containerStatuses).
 *
 * Logs: with `kubelet` TLS material the runner serves the kubelet's /containerLogs on the node address (the port on the
 * Node's daemonEndpoints), so pods/log (`kubectl logs`, the editor's Show Logs) works: kubelet-server.ts, container-logs.ts.
 */
export { startPodRunner, type PodRunner, type PodRunnerOptions } from './runner';
export { knownImageMappings, parseImage, resolveImage, cachedBinaryResolver, type BinaryResolver, type ImageResolution } from './images';
export { computePodStatus, type ContainerView, type PodView } from './status';
export { detectIsolation, type IsolationMode } from './processes';
export { rewriteValue, type MountMapping } from './rewrite';
