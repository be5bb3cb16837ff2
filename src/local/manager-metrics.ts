// Reading /metrics of a manager that runs as pods of the meta cluster (`kokpit install`, `kokpit up --manager
// in-cluster`), for `kokpit metrics`: the pod holding the Lease, its metrics port from its own arguments, a bearer
// token allowed to `get /metrics`, and a way in:
// - a pod whose IP is loopback (127.x) is a process of the sandbox's pod runner on this host: dialled directly;
// - any other pod through the API server's pod port-forward (what `kubectl port-forward` does), which needs only
//   `create pods/portforward` and no route to the pod network. Not the API server's pod proxy (`pods/…/proxy`):
//   the API server takes the caller's Authorization header for itself and forwards none, so the manager's
//   TokenReview would see no token (401); and it refuses to proxy to loopback pod IPs.
// The manager's self-signed certificate is not verified unless --certificate-authority is given: the transport
// already names the pod (a port-forward authenticated to the API server, or a process on this host), as Prometheus
// scrapes kubebuilder's endpoint with insecure_skip_verify and relies on the token.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import {
  CoordinationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type KubeConfig,
  type V1Container,
  type V1Pod,
} from '@kubernetes/client-node';
import { apiServerTunnel } from '../kit/etcd-forward';
import { briefError } from '../controller/reconciler';
import { INSTALL_NAMESPACE, MANAGER_DEPLOYMENT } from './install';
import { isNetnsPodIP } from '../podrunner/pod-network';

/** The ClusterRole a metrics reader is bound to (config/rbac/metrics_reader_role.yaml). */
export const METRICS_READER_ROLE = 'kokpit-metrics-reader';

export interface MetricsTarget {
  pod: string;
  namespace: string;
  podIP?: string;
  port: number;
  secure: boolean;
}

/** Where a manager container serves /metrics, from `--metrics-bind-address` and `--metrics-secure` in its arguments. */
export function metricsTargetOf(pod: V1Pod): MetricsTarget {
  const c: V1Container | undefined = pod.spec?.containers.find((x) => x.name === 'manager') ?? pod.spec?.containers[0];
  const args = [...(c?.command ?? []), ...(c?.args ?? [])];
  const bind = args.find((a) => a.startsWith('--metrics-bind-address='))?.split('=')[1];
  const where = `pod ${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const port = bind ? Number(bind.slice(bind.lastIndexOf(':') + 1)) : NaN;
  if (!bind || bind === '0' || !Number.isInteger(port) || port <= 0)
    throw new Error(`${where} serves no metrics (its manager has no --metrics-bind-address=HOST:PORT)`);
  return {
    pod: pod.metadata!.name!,
    namespace: pod.metadata!.namespace!,
    podIP: pod.status?.podIP,
    port,
    secure: args.includes('--metrics-secure') || args.includes('--metrics-secure=true'),
  };
}

/** The pod that holds the manager Lease in `namespace`; an error says who holds it when that is not a pod. */
export async function leaderPod(kc: KubeConfig, namespace = INSTALL_NAMESPACE): Promise<V1Pod> {
  const lease = await kc
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: MANAGER_DEPLOYMENT, namespace })
    .catch((e) => {
      throw new Error(`cannot read the manager lease ${namespace}/${MANAGER_DEPLOYMENT} (installed? kokpit install): ${briefError(e)}`);
    });
  const holder = lease.spec?.holderIdentity;
  if (!holder) throw new Error(`no manager holds the lease ${namespace}/${MANAGER_DEPLOYMENT}`);
  return kc
    .makeApiClient(CoreV1Api)
    .readNamespacedPod({ name: holder, namespace })
    .catch((e) => {
      throw new Error(
        `the lease ${namespace}/${MANAGER_DEPLOYMENT} is held by ${holder}, not a pod of ${namespace} (a manager on a host: ` +
          `read it with --url, or --name for a local environment's) (${briefError(e)})`,
      );
    });
}

export interface TokenChoice {
  tokenFile?: string;
  /** NAMESPACE/NAME of a ServiceAccount to request a token for. */
  serviceAccount?: string;
}

/**
 * A bearer token for /metrics, and whose it is: --token-file; else a TokenRequest for --service-account; else the
 * caller's own bearer token (a token, token file or exec plugin in the kubeconfig); else a TokenRequest for the first
 * ServiceAccount a ClusterRoleBinding binds to kokpit-metrics-reader. A client certificate cannot be passed on: the
 * manager checks tokens only (TokenReview), as kubebuilder's metrics filter does.
 */
export async function metricsToken(kc: KubeConfig, o: TokenChoice): Promise<{ token: string; who: string }> {
  if (o.tokenFile) return { token: fs.readFileSync(o.tokenFile, 'utf8').trim(), who: `the token in ${o.tokenFile}` };
  if (o.serviceAccount) return requestToken(kc, o.serviceAccount);
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const auth = (opts.headers as Record<string, string> | undefined)?.Authorization ?? '';
  if (auth.startsWith('Bearer ')) return { token: auth.slice(7), who: `your kubeconfig user ${kc.getCurrentUser()?.name ?? ''}`.trim() };
  const bindings = await kc
    .makeApiClient(RbacAuthorizationV1Api)
    .listClusterRoleBinding()
    .catch(() => ({ items: [] }));
  const sa = bindings.items
    .filter((b) => b.roleRef.kind === 'ClusterRole' && b.roleRef.name === METRICS_READER_ROLE)
    .flatMap((b) => b.subjects ?? [])
    .find((s) => s.kind === 'ServiceAccount' && s.namespace);
  if (sa) return requestToken(kc, `${sa.namespace}/${sa.name}`);
  throw new Error(
    `your kubeconfig user (${kc.getCurrentUser()?.name}) has no bearer token, and the manager's /metrics takes only a token ` +
      `allowed to get /metrics; no ServiceAccount is bound to ClusterRole ${METRICS_READER_ROLE} to request one for. Bind one: ` +
      `\`kubectl -n ${INSTALL_NAMESPACE} create serviceaccount metrics-reader && kubectl create clusterrolebinding metrics-reader ` +
      `--clusterrole=${METRICS_READER_ROLE} --serviceaccount=${INSTALL_NAMESPACE}:metrics-reader\`, or pass --token-file FILE`,
  );
}

async function requestToken(kc: KubeConfig, ref: string): Promise<{ token: string; who: string }> {
  const [namespace, name] = ref.split('/');
  if (!namespace || !name) throw new Error(`--service-account must be NAMESPACE/NAME, not "${ref}"`);
  try {
    // The shortest lifetime the API server issues: the token is used once, for this read.
    const r = await kc
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    if (!r.status?.token) throw new Error('the API server returned no token');
    return { token: r.status.token, who: `ServiceAccount ${ref} (a TokenRequest)` };
  } catch (e) {
    throw new Error(`cannot request a token for ServiceAccount ${ref}: ${briefError(e)}`, { cause: e });
  }
}

/** GET a metrics URL; HTTPS through node:https (fetch cannot take a CA or skip verification). */
export function scrape(url: string, o: { token?: string; ca?: string; insecure: boolean }): Promise<string> {
  const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
  if (!url.startsWith('https:'))
    return fetch(url, { headers, signal: AbortSignal.timeout(10_000) }).then(async (res) => {
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).trim()}`);
      return res.text();
    });
  return new Promise((resolve, reject) => {
    const req = https.get(url, { headers, ca: o.ca, rejectUnauthorized: !o.insecure, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body.trim()}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', reject);
  });
}

export interface InClusterRead {
  text: string;
  pod: string;
  /** How it was reached: `pod IP 127.0.0.5:8443` or `port-forward`. */
  via: string;
  who: string;
}

/** /metrics of the manager pod holding the lease (see the top of this file for the way in and the token). */
export async function readLeaderMetrics(
  kc: KubeConfig,
  o: TokenChoice & { namespace?: string; ca?: string; insecure?: boolean },
): Promise<InClusterRead> {
  const t = metricsTargetOf(await leaderPod(kc, o.namespace));
  const { token, who } = t.secure ? await metricsToken(kc, o) : { token: undefined, who: 'no token (served over plain HTTP)' };
  const scheme = t.secure ? 'https' : 'http';
  const tls = { token, ca: o.ca, insecure: o.insecure ?? !o.ca };
  const fail = (via: string, e: unknown) =>
    new Error(
      `pod ${t.namespace}/${t.pod} (${via}) as ${who}: ${(e as Error).message}${/HTTP 403/.test(String(e)) ? ` — bind it to ClusterRole ${METRICS_READER_ROLE}` : ''}`,
    );
  if (t.podIP && net.isIP(t.podIP) === 4 && (t.podIP.startsWith('127.') || isNetnsPodIP(t.podIP))) {
    const via = `pod IP ${t.podIP}:${t.port}`;
    const text = await scrape(`${scheme}://${t.podIP}:${t.port}/metrics`, tls).catch((e) => {
      throw fail(via, e);
    });
    return { text, pod: t.pod, via, who };
  }
  // A local listener whose every connection is one port-forward stream to the pod (kit/etcd-forward.ts).
  const tunnel = apiServerTunnel(kc);
  const server = net.createServer(
    (socket) => void tunnel({ namespace: t.namespace, pod: t.pod, port: t.port }, socket).catch(() => socket.destroy()),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const local = (server.address() as net.AddressInfo).port;
    const text = await scrape(`${scheme}://127.0.0.1:${local}/metrics`, tls).catch((e) => {
      throw fail(`port-forward to :${t.port}`, e);
    });
    return { text, pod: t.pod, via: `port-forward to :${t.port}`, who };
  } finally {
    server.close();
  }
}
