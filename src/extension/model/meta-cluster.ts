// Reaching a meta cluster from a kubeconfig: which file and context, a probe that turns failures into one precise
// sentence (unreachable, TLS, credentials, CRDs missing), and informer-backed streams for the Fleet view.
// No vscode here; the extension injects these through the runtime's kube factory.
import { CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { API_VERSION } from '../../api';
import { Informer } from '../../controller/informer';
import { toKubeApiError } from '../../kube';
import { unservedResources } from '../../kube/discovery';
import { KUBECONFIG_KEY } from '../../operators/cluster/names';
import type { Clock, TimerHandle } from './clock';
import { OCM_FLEET_STREAMS, type FleetKind, type ObjectStream } from './fleet-connection';
import type { Logger } from './logger';

const [GROUP, VERSION] = API_VERSION.split('/');

/** Which kubeconfig files to read: the setting, else $KUBECONFIG (a path list), else ~/.kube/config. */
export function kubeconfigFiles(setting: string, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string[] {
  if (setting.trim()) return [expandHome(setting.trim(), home)];
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  return fromEnv.length ? fromEnv : [path.join(home, '.kube', 'config')];
}

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p;
}

/** Whether a meta cluster was named explicitly (setting or $KUBECONFIG): only then does the view connect on its own. */
export function hasExplicitKubeconfig(setting: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return setting.trim() !== '' || (env.KUBECONFIG ?? '').trim() !== '';
}

export class MetaClusterError extends Error {
  override name = 'MetaClusterError';
}

/** Loads the kubeconfig (merging a path list like kubectl) and selects `context` without touching the files. */
export function loadMetaKubeConfig(files: string[], context?: string): KubeConfig {
  const existing = files.filter((f) => fs.existsSync(f));
  if (existing.length === 0) {
    throw new MetaClusterError(`no kubeconfig found (looked at ${files.join(', ')}); set kokpit.kubeconfig or KUBECONFIG`);
  }
  const kc = new KubeConfig();
  try {
    if (existing.length === 1) kc.loadFromFile(existing[0]);
    else {
      // Same precedence as kubectl: the first file that defines a name (or current-context) wins.
      const parts = existing.map((f) => {
        const one = new KubeConfig();
        one.loadFromFile(f);
        return one;
      });
      const firstByName = <T extends { name: string }>(lists: T[][]) => {
        const seen = new Map<string, T>();
        for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
        return [...seen.values()];
      };
      kc.loadFromOptions({
        clusters: firstByName(parts.map((p) => p.clusters)),
        users: firstByName(parts.map((p) => p.users)),
        contexts: firstByName(parts.map((p) => p.contexts)),
        currentContext: parts.map((p) => p.getCurrentContext()).find(Boolean) ?? '',
      });
    }
  } catch (e) {
    throw new MetaClusterError(`cannot read kubeconfig ${existing.join(', ')}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const name = context || kc.getCurrentContext();
  if (!name || !kc.getContextObject(name)) {
    const known = kc.getContexts().map((c) => c.name);
    throw new MetaClusterError(
      context
        ? `kubeconfig has no context '${context}' (contexts: ${known.join(', ') || 'none'})`
        : `kubeconfig ${existing.join(', ')} has no current context (contexts: ${known.join(', ') || 'none'})`,
    );
  }
  // Selecting the context on this in-memory copy leaves the user's current-context alone.
  kc.setCurrentContext(name);
  if (!kc.getCurrentCluster()) throw new MetaClusterError(`context '${name}' names a cluster the kubeconfig does not define`);
  return kc;
}

/** The contexts a connect picker offers. */
export function kubeconfigContexts(files: string[]): { names: string[]; current?: string } {
  const kc = loadMetaKubeConfig(files);
  return { names: kc.getContexts().map((c) => c.name), current: kc.getCurrentContext() || undefined };
}

/** One sentence for a failed request to the meta cluster; never includes credentials. */
export function describeMetaClusterFailure(err: unknown, server: string, context: string): string {
  const e = toKubeApiError(err);
  const text = e.message;
  if (e.statusCode === 401) return `the meta cluster at ${server} rejected the credentials of context '${context}' (HTTP 401)`;
  if (e.statusCode === 403) return `context '${context}' may not list kokpit objects on ${server} (HTTP 403): ${text}`;
  if (e.statusCode === 404)
    return (
      `kokpit's CRDs (${API_VERSION}) are not installed in the cluster at ${server}; install them with \`kokpit install\` or ` +
      `\`kubectl apply -f config/crd\``
    );
  if (/ECONNREFUSED/.test(text)) return `cannot reach the meta cluster at ${server}: connection refused (is it running?)`;
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return `cannot reach the meta cluster at ${server}: the host name does not resolve`;
  if (/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/.test(text)) return `cannot reach the meta cluster at ${server}: network unreachable`;
  if (/certificate|CERT_|SELF_SIGNED|self.signed/i.test(text)) return `TLS failed talking to ${server}: ${text}`;
  return `the meta cluster at ${server} failed: ${text}`;
}

/** Lists one kokpit kind (limit 1) with a deadline; throws a MetaClusterError with a precise message. */
export async function probeMetaCluster(kc: KubeConfig, clock: Clock, timeoutMs = 5000): Promise<void> {
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  const context = kc.getCurrentContext();
  const api = kc.makeApiClient(CustomObjectsApi);
  let handle: TimerHandle | undefined;
  const deadline = new Promise<never>((_, reject) => {
    handle = clock.setTimeout(
      () => reject(new MetaClusterError(`no answer from the meta cluster at ${server} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([api.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'etcdclusters', limit: 1 }), deadline]);
  } catch (e) {
    if (e instanceof MetaClusterError) throw e;
    throw new MetaClusterError(describeMetaClusterFailure(e, server, context));
  } finally {
    if (handle) clock.clearTimeout(handle);
  }
}

/** A self-restarting informer over one kokpit kind in every namespace. */
export function informerStream(kc: KubeConfig, kind: FleetKind, logger: Logger): ObjectStream {
  const api = kc.makeApiClient(CustomObjectsApi);
  // kokpit's kinds, or OCM's (which carry their own group and version)
  const [group, version] = 'group' in kind ? [kind.group, kind.version] : [GROUP, VERSION];
  const informer = new Informer<KubernetesObject>(kc, {
    path: `/apis/${group}/${version}/${kind.plural}`,
    list: async () =>
      (await api.listClusterCustomObject({ group, version, plural: kind.plural })) as KubernetesListObject<KubernetesObject>,
    log: {
      debug: (m: string) => logger.trace(m),
      info: (m: string) => logger.debug(m),
      warn: (m: string) => logger.warn(m),
      error: (m: string) => logger.error(m),
    },
    backoff: { baseMs: 500, maxMs: 15_000 },
  });
  return {
    onEvent: (handler) => informer.onEvent((obj, event) => handler(obj, event)),
    start: () => informer.start(),
    stop: () => informer.stop(),
  };
}

/** Whether the meta cluster serves the OCM kinds the Fleet view shows (OCM's hub is installed): one discovery request. */
export async function ocmServed(kc: KubeConfig): Promise<boolean> {
  return (await unservedResources(kc, OCM_FLEET_STREAMS)).length === 0;
}

/** A business cluster's admin kubeconfig from its Secret. The caller must never log the result. */
export async function readBusinessClusterKubeconfig(kc: KubeConfig, namespace: string, secretName: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  let data: Record<string, string> | undefined;
  try {
    data = (await core.readNamespacedSecret({ name: secretName, namespace })).data;
  } catch (e) {
    throw new MetaClusterError(`cannot read Secret ${namespace}/${secretName}: ${toKubeApiError(e).message}`);
  }
  const encoded = data?.[KUBECONFIG_KEY];
  if (!encoded) throw new MetaClusterError(`Secret ${namespace}/${secretName} has no '${KUBECONFIG_KEY}' key`);
  return Buffer.from(encoded, 'base64').toString('utf8');
}
