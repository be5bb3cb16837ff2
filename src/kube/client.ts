// Loading kubeconfigs and making the typed and dynamic clients kokpit uses.
import { createHash } from 'node:crypto';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  ServerConfiguration,
  VersionApi,
  createConfiguration,
  type ApiConstructor,
  type ApiType,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import * as fs from 'node:fs';
import type * as https from 'node:https';
import { parse as parseYaml } from 'yaml';

// client-node 2.0.x builds a new undici Agent for every request, so every API call pays a fresh TCP
// and TLS handshake (the reconcile bench's CPU profile: ~40 % of the operator's time). Reuse one
// dispatcher per KubeConfig and connection identity instead; undici unrefs idle sockets, so this
// keeps no process alive.
const dispatchers = new WeakMap<KubeConfig, Map<string, unknown>>();
type DispatcherFactory = (cluster: { server?: string; name?: string } | null, agentOptions: Record<string, unknown>) => unknown;
const proto = KubeConfig.prototype as unknown as { createDispatcher?: DispatcherFactory; __kokpitReuse?: boolean };
if (typeof proto.createDispatcher === 'function' && !proto.__kokpitReuse) {
  const original = proto.createDispatcher;
  proto.__kokpitReuse = true;
  proto.createDispatcher = function (this: KubeConfig, cluster, agentOptions) {
    const hash = createHash('sha256');
    for (const part of [
      cluster?.server,
      cluster?.name,
      agentOptions?.ca,
      agentOptions?.cert,
      agentOptions?.key,
      agentOptions?.pfx,
      agentOptions?.rejectUnauthorized,
      agentOptions?.servername,
    ]) {
      hash.update(part === undefined ? '\0' : Buffer.isBuffer(part) ? part : String(part)).update('\x01');
    }
    const key = hash.digest('hex');
    let byKey = dispatchers.get(this);
    if (!byKey) dispatchers.set(this, (byKey = new Map()));
    if (!byKey.has(key)) byKey.set(key, original.call(this, cluster, agentOptions));
    return byKey.get(key);
  };
}

/** kokpit's version, in the User-Agent of its clients (a unit test keeps it equal to package.json's). */
export const KOKPIT_VERSION = '0.1.0';

/** The User-Agent a kokpit component sends: `kokpit-<component>/<version>`, what the API server's audit log records. */
export function kokpitUserAgent(component: string): string {
  return `kokpit-${component}/${KOKPIT_VERSION}`;
}

const USER_AGENT = 'User-Agent';

/**
 * A KubeConfig whose every request carries its own User-Agent instead of client-node's
 * `kubernetes-client-javascript/<version>`, so the API server (its audit log) can tell kokpit's components
 * apart: typed clients, the dynamic client, watches (applySecurityAuthentication), exec and port-forward
 * (applyToHTTPSOptions). client-node's makeApiClient adds a middleware that would overwrite the header after
 * authentication, so clients made here carry none.
 */
class UserAgentKubeConfig extends KubeConfig {
  constructor(
    readonly userAgent: string,
    readonly observer?: RequestObserver,
  ) {
    super();
  }

  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    return new apiClientType(
      createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: this } }),
    );
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setHeaderParam(USER_AGENT, this.userAgent);
    this.observer?.(context.getHttpMethod(), new URL(context.getUrl()).pathname);
  }

  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    (opts as https.RequestOptions).headers = { ...(opts as https.RequestOptions).headers, [USER_AGENT]: this.userAgent };
  }
}

/** A copy of `kc` (same clusters, users, contexts, current context) whose requests identify as `userAgent`. */
export function withUserAgent(kc: KubeConfig, userAgent: string): KubeConfig {
  return copyKubeConfig(kc, userAgent, kc instanceof UserAgentKubeConfig ? kc.observer : undefined);
}

/** Called before every API request a client of the KubeConfig sends (method, URL path); not for watches' streams. */
export type RequestObserver = (method: string, path: string) => void;

/**
 * A copy of `kc` whose clients — and the clients of every `withUserAgent` copy made from it — report each request
 * to `observer` (the manager's `kokpit_api_writes_total`). Requests keep `kc`'s User-Agent, else `userAgent`.
 */
export function observeRequests(kc: KubeConfig, observer: RequestObserver, userAgent: string): KubeConfig {
  return copyKubeConfig(kc, userAgentOf(kc) ?? userAgent, observer);
}

function copyKubeConfig(kc: KubeConfig, userAgent: string, observer: RequestObserver | undefined): KubeConfig {
  const out = new UserAgentKubeConfig(userAgent, observer);
  out.loadFromOptions({
    clusters: kc.getClusters(),
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return out;
}

/** The User-Agent `kc` was given with `withUserAgent`, if any. */
export function userAgentOf(kc: KubeConfig): string | undefined {
  return kc instanceof UserAgentKubeConfig ? kc.userAgent : undefined;
}

export interface LoadKubeConfigOptions {
  /** A kubeconfig file. */
  kubeconfigPath?: string;
  /** A kubeconfig as text (wins over the path). */
  kubeconfigYaml?: string;
  /** Context to use instead of current-context. */
  context?: string;
  /** The User-Agent of every request (default: client-node's); see `withUserAgent`. */
  userAgent?: string;
}

/**
 * client-go's `tokenFile` user field (a pod's rotating ServiceAccount token; the pod runner writes such kubeconfigs):
 * client-node reads only its own `token-file`, once, so the user gets client-node's in-cluster token-file
 * authenticator instead, which reads the file again every minute.
 */
function useTokenFiles(kc: KubeConfig, text: string): void {
  const doc = parseYaml(text) as { users?: Array<{ name?: string; user?: { tokenFile?: string; token?: string } }> } | null;
  for (const u of doc?.users ?? []) {
    const tokenFile = u.user?.tokenFile;
    const user = tokenFile && !u.user?.token ? kc.users.find((x) => x.name === u.name) : undefined;
    if (user) (user as { authProvider?: unknown }).authProvider = { name: 'tokenFile', config: { tokenFile } };
  }
}

/** Load a kubeconfig from text, a file, or the default chain ($KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = opts.userAgent === undefined ? new KubeConfig() : new UserAgentKubeConfig(opts.userAgent);
  if (opts.kubeconfigYaml !== undefined) kc.loadFromString(opts.kubeconfigYaml);
  else if (opts.kubeconfigPath !== undefined) kc.loadFromFile(opts.kubeconfigPath);
  else kc.loadFromDefault();
  const text = opts.kubeconfigYaml ?? (opts.kubeconfigPath !== undefined ? fs.readFileSync(opts.kubeconfigPath, 'utf8') : undefined);
  if (text?.includes('tokenFile')) useTokenFiles(kc, text); // parsed again only when the field is there
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(`kubeconfig has no context '${opts.context}' (contexts: ${known.join(', ') || 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new Error('kubeconfig has no current cluster (is current-context set?)');
  return kc;
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/**
 * KubernetesObjectApi whose create/update/patch requests carry `?fieldValidation=`. client-node's dynamic
 * client has no such parameter and only runs the middleware of the client's own configuration, so the
 * setting lives in a separate client.
 */
class ValidatingObjectApi extends KubernetesObjectApi {
  constructor(kc: KubeConfig, fieldValidation: FieldValidation) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    super(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: kc },
        promiseMiddleware: [
          {
            pre: async (ctx: RequestContext) => {
              if (['POST', 'PUT', 'PATCH'].includes(String(ctx.getHttpMethod()))) {
                ctx.setQueryParam('fieldValidation', fieldValidation);
              }
              return ctx;
            },
            post: async (rsp: ResponseContext) => rsp,
          },
        ],
      }),
    );
    this.setDefaultNamespace(kc);
  }
}

/** A dynamic client for any kind; `fieldValidation` applies to every create/update/patch it sends. */
export function makeObjectApi(kc: KubeConfig, opts: { fieldValidation?: FieldValidation } = {}): KubernetesObjectApi {
  return opts.fieldValidation ? new ValidatingObjectApi(kc, opts.fieldValidation) : KubernetesObjectApi.makeApiClient(kc);
}

export interface KubeClients {
  kc: KubeConfig;
  /** Dynamic client (any kind), server default field validation. */
  objects: KubernetesObjectApi;
  /** Dynamic client that rejects unknown and duplicate fields (`fieldValidation=Strict`). */
  strictObjects: KubernetesObjectApi;
  core: CoreV1Api;
  apps: AppsV1Api;
  apiextensions: ApiextensionsV1Api;
  rbac: RbacAuthorizationV1Api;
  coordination: CoordinationV1Api;
  version: VersionApi;
}

export function makeClients(kc: KubeConfig): KubeClients {
  return {
    kc,
    objects: makeObjectApi(kc),
    strictObjects: makeObjectApi(kc, { fieldValidation: 'Strict' }),
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    apiextensions: kc.makeApiClient(ApiextensionsV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    version: kc.makeApiClient(VersionApi),
  };
}
