// How the host reaches business cluster API servers in the sandbox runtime.
//
// The pod runner gives each pod its own loopback address 127.0.<b>.<n>, so a pod IP is directly
// reachable from the host, but it is unknown until the pod runs and changes on every rollout, while the
// endpoint must be fixed before the serving certificate and kubeconfigs are issued. The sandbox has no
// kube-proxy, so this proxy plays its NodePort part for kokpit's apiserver Services only: it listens on
// 127.0.0.1:<nodePort> (kept by the meta apiserver in the Service, so stable across restarts) and
// forwards each TCP connection to a Ready pod IP behind the Service. TLS passes through untouched.
// Limits: NodePort Services only (`Auto` resolves to NodePort here; `ClusterIP` is not reachable from
// the host); the port must be free on 127.0.0.1; reachable only while the `kokpit up` process runs.
import * as net from 'node:net';
import { CoreV1Api, type KubeConfig, type KubernetesListObject, type V1Service } from '@kubernetes/client-node';
import { Informer } from '../controller/informer';
import { makeObjectApi } from '../kube';

export const APISERVER_SELECTOR = 'app.kubernetes.io/managed-by=kokpit,kokpit.dev/component=apiserver';

/** The endpoint the sandbox's cluster operator publishes for an apiserver Service (undefined: not host-reachable). */
export function sandboxHostEndpoint(svc: V1Service): string | undefined {
  const port = svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer' ? svc.spec.ports?.[0]?.nodePort : undefined;
  return port ? `https://127.0.0.1:${port}` : undefined;
}

interface Listener {
  server: net.Server;
  port: number;
  sockets: Set<net.Socket>;
}

export interface NodePortProxy {
  /** host port → namespace/service */
  ports(): Map<number, string>;
  stop(): Promise<void>;
}

/* eslint-disable-next-line max-lines-per-function -- a watch and the listeners it opens and closes share one map of ports; the returned
   handle stops both */
export async function startNodePortProxy(
  kc: KubeConfig,
  log: (line: string) => void,
  /** The address to listen on: the host's loopback (the sandbox), or a pod runner node's own address as kube-proxy would. */
  host = '127.0.0.1',
): Promise<NodePortProxy> {
  const core = kc.makeApiClient(CoreV1Api);
  const objects = makeObjectApi(kc);
  const listeners = new Map<string, Listener>();
  let rr = 0;

  const forward = (svc: V1Service, client: net.Socket) => {
    client.pause();
    const ns = svc.metadata!.namespace!;
    const selector = Object.entries(svc.spec?.selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const targetPort = Number(svc.spec?.ports?.[0]?.targetPort ?? svc.spec?.ports?.[0]?.port);
    core.listNamespacedPod({ namespace: ns, labelSelector: selector }).then(
      (pods) => {
        const ready = pods.items.filter(
          (p) =>
            !p.metadata?.deletionTimestamp &&
            p.status?.podIP &&
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        if (!ready.length) return client.destroy();
        const upstream = net.connect(targetPort, ready[rr++ % ready.length].status!.podIP!);
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      },
      () => client.destroy(),
    );
  };

  const close = async (key: string) => {
    const l = listeners.get(key);
    if (!l) return;
    listeners.delete(key);
    for (const s of l.sockets) s.destroy();
    await new Promise<void>((r) => l.server.close(() => r()));
  };

  const sync = async (svc: V1Service, deleted: boolean) => {
    const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
    const port = deleted ? undefined : svc.spec?.ports?.[0]?.nodePort;
    const current = listeners.get(key);
    if (current && current.port === port) {
      current.server.removeAllListeners('connection');
      current.server.on('connection', (c) => onConnection(current, svc, c));
      return;
    }
    await close(key);
    if (!port) return;
    const l: Listener = { server: net.createServer(), port, sockets: new Set() };
    l.server.on('connection', (c) => onConnection(l, svc, c));
    await new Promise<void>((resolve) => {
      l.server.once('error', (e) => {
        log(`proxy: cannot listen on ${host}:${port} for Service ${key}: ${e.message}`);
        resolve();
      });
      l.server.listen(port, host, () => {
        listeners.set(key, l);
        log(`proxy: ${host}:${port} → Service ${key} (ready pod IPs)`);
        resolve();
      });
    });
  };
  const onConnection = (l: Listener, svc: V1Service, c: net.Socket) => {
    l.sockets.add(c);
    c.on('close', () => l.sockets.delete(c));
    c.on('error', () => c.destroy());
    forward(svc, c);
  };

  const informer = new Informer<V1Service>(kc, {
    path: '/api/v1/services',
    labelSelector: APISERVER_SELECTOR,
    list: async () =>
      (await objects.list<V1Service>(
        'v1',
        'Service',
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        APISERVER_SELECTOR,
      )) as KubernetesListObject<V1Service>,
  });
  // Serialized: a Service's listener is replaced only after the previous one closed.
  let chain = Promise.resolve();
  informer.onEvent((svc, kind) => {
    chain = chain.then(() => sync(svc, kind === 'delete')).catch((e: Error) => log(`proxy: ${e.message}`));
  });
  await informer.start();
  return {
    ports: () => new Map([...listeners].map(([k, l]) => [l.port, k])),
    async stop() {
      await informer.stop();
      await chain;
      for (const k of [...listeners.keys()]) await close(k);
    },
  };
}
