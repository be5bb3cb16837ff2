// Installing the OCM hub in the meta cluster: read the copied manifests, apply what render/hub.ts makes of them
// (compare-before-write, so a second install writes nothing) and wait until the controllers are ready, stopping at
// once when one of their pods cannot get its image or crash-loops (hub-faults.ts says why and the fix). With
// `webhooks`, also OCM's admission webhooks: their CA and serving certificates issued here (kept in Secrets, re-used
// while they fit), the servers waited for like the controllers and until their Services have a ready endpoint, only
// then the webhook configurations (failurePolicy Fail, as OCM ships them: none is ever without an endpoint), and it
// returns once the API server gets each webhook's verdict on a dry run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { applyRawCRD, makeObjectApi, secretText, toKubeApiError } from '../../kube';
import { Applier, containsDesired, podFault, readPodFaultContext } from '../../kit';
import { caRenewalProblem, createCA, issueCert } from '../../pki';
import { decisiveHubFault, describeHubFault, describeHubWait, loopbackWebhookPod, podsOf } from './hub-faults';
import { HUB_NAMESPACE } from './names';
import { renderHub, type MetaAccess, type OcmManifests } from './render/hub';
import {
  HUB_WEBHOOKS,
  isWebhookConfiguration,
  probeRefused,
  renderTLSSecret,
  servingCertProblem,
  servingName,
  WEBHOOK_CA_NAME,
  WEBHOOK_CA_RENEW_DAYS,
  WEBHOOK_CA_SECRET,
  WEBHOOK_CA_VALID_DAYS,
  WEBHOOK_CERT_VALID_DAYS,
  WEBHOOK_PROBES,
  type HubWebhook,
  type SecretObject,
} from './render/hub-webhooks';

const yamlFiles = (dir: string, filter: (f: string) => boolean) =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.yaml') && filter(f))
        .sort()
        .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    : [];

/** The manifests under a kokpit checkout or package root: schemas/ocm (CRDs) and config/ocm (the rest). */
export function readOcmManifests(root: string): OcmManifests {
  const isCRD = (f: string) => f.endsWith('.crd.yaml');
  const isWebhook = (f: string) => f.includes('-webhook-');
  return {
    crds: [...yamlFiles(path.join(root, 'schemas/ocm'), () => true), ...yamlFiles(path.join(root, 'config/ocm/hub'), isCRD)],
    hub: yamlFiles(path.join(root, 'config/ocm/hub'), (f) => !isCRD(f) && !isWebhook(f)),
    webhooks: yamlFiles(path.join(root, 'config/ocm/hub'), (f) => !isCRD(f) && isWebhook(f)),
    agent: yamlFiles(path.join(root, 'config/ocm/agent'), () => true),
  };
}

/** The CRDs each business cluster needs for its agent (AppliedManifestWork, ClusterClaim, ClusterProperty). */
export function readManagedCRDs(root: string): string[] {
  return yamlFiles(path.join(root, 'config/ocm/managed'), () => true);
}

/** OCM's ClusterRoles and bindings of its agent in a managed cluster (render/credential.ts binds them to the agent's user). */
export function readManagedRBAC(root: string): string[] {
  return yamlFiles(path.join(root, 'config/ocm/managed-rbac'), () => true);
}

/** How pods reach the meta API server: the address and CA of `kc` (the pod runner gives pods the same server). */
export function metaAccessOf(kc: KubeConfig): MetaAccess {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the meta kubeconfig has no current cluster');
  const caPEM = cluster.caData
    ? Buffer.from(cluster.caData, 'base64').toString('utf8')
    : cluster.caFile
      ? fs.readFileSync(cluster.caFile, 'utf8')
      : undefined;
  return { server: cluster.server, caPEM: cluster.skipTLSVerify ? undefined : caPEM };
}

export interface HubOptions {
  manifests: OcmManifests;
  /** Default: the address and CA of `kc`. */
  access?: MetaAccess;
  /**
   * OCM's registration and work admission webhooks (render/hub.ts): only where the meta cluster's Services get
   * endpoints the API server reaches, and its pods their own network namespace (the sandbox's netns pod network,
   * kind, a real cluster).
   */
  webhooks?: boolean;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface WebhookPKI {
  /** The CA's certificate (the webhook configurations' caBundle). */
  caPEM: string;
  /** Every Secret as it should be, with the live one it was decided from (unchanged: applying it writes nothing). */
  secrets: { desired: SecretObject; live: SecretObject | undefined }[];
  /** Which Secrets got a new certificate, and why (no key material). */
  issued: { secret: string; reason: string }[];
}

/**
 * The webhooks' CA and serving certificates: those in the live Secrets (`read`) while they fit, else new ones — a new
 * CA re-issues both serving certificates (they no longer verify against it).
 */
export async function planWebhookPKI(read: (secret: string) => Promise<SecretObject | undefined>, now = new Date()): Promise<WebhookPKI> {
  const issued: WebhookPKI['issued'] = [];
  const caLive = await read(WEBHOOK_CA_SECRET);
  let ca = { certPem: secretText(caLive, 'tls.crt') ?? '', keyPem: secretText(caLive, 'tls.key') ?? '' };
  const caWhy = caRenewalProblem(ca.certPem, ca.keyPem, { minRemainingDays: WEBHOOK_CA_RENEW_DAYS, now });
  if (caWhy) {
    ca = await createCA(WEBHOOK_CA_NAME, { validDays: WEBHOOK_CA_VALID_DAYS, now });
    issued.push({ secret: WEBHOOK_CA_SECRET, reason: caWhy });
  }
  const secrets: WebhookPKI['secrets'] = [{ desired: renderTLSSecret(WEBHOOK_CA_SECRET, ca), live: caLive }];
  for (const w of HUB_WEBHOOKS) {
    const live = await read(w.secret);
    let pair = { certPem: secretText(live, 'tls.crt') ?? '', keyPem: secretText(live, 'tls.key') ?? '' };
    const dns = servingName(w);
    const why = servingCertProblem(pair.certPem, pair.keyPem, ca.certPem, dns, now);
    if (why) {
      pair = await issueCert(ca, { commonName: dns, dnsNames: [dns], usages: ['server'], validDays: WEBHOOK_CERT_VALID_DAYS, now });
      issued.push({ secret: w.secret, reason: why });
    }
    secrets.push({ desired: renderTLSSecret(w.secret, pair), live });
  }
  return { caPEM: ca.certPem, secrets, issued };
}

/** The pods in the Deployments' namespaces (best effort: none when they cannot be read). */
async function podsIn(kc: KubeConfig, deployments: V1Deployment[]): Promise<V1Pod[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespaces = [...new Set(deployments.map((d) => d.metadata!.namespace!))];
  const lists = await Promise.all(
    namespaces.map((namespace) =>
      core
        .listNamespacedPod({ namespace })
        .then((l) => l.items)
        .catch(() => []),
    ),
  );
  return lists.flat();
}

/**
 * A CRD applied as plain JSON (the typed client would drop its x-kubernetes-* extensions: see kube/crds.ts), only when
 * missing or different: read raw too, since the typed model renames those fields and would never compare equal.
 */
export async function ensureCRD(kc: KubeConfig, crd: V1CustomResourceDefinition): Promise<void> {
  const live = await kc
    .makeApiClient(CustomObjectsApi)
    .getClusterCustomObject({
      group: 'apiextensions.k8s.io',
      version: 'v1',
      plural: 'customresourcedefinitions',
      name: crd.metadata!.name!,
    })
    .catch(() => undefined);
  // The server omits `preserveUnknownFields: false` (its default), which OCM's files spell out.
  const { preserveUnknownFields: _p, ...spec } = crd.spec;
  const { labels, annotations } = crd.metadata ?? {};
  if (!live || !containsDesired(live, { metadata: { labels, annotations }, spec })) await applyRawCRD(kc, crd);
}

/** The webhook Services without a ready endpoint (EndpointSlices: what the API server dials with aggregator routing). */
async function servicesWithoutEndpoints(kc: KubeConfig, services: string[]): Promise<string[]> {
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const out: string[] = [];
  for (const service of services) {
    const slices = await discovery
      .listNamespacedEndpointSlice({ namespace: HUB_NAMESPACE, labelSelector: `kubernetes.io/service-name=${service}` })
      .then((l) => l.items)
      .catch(() => []);
    const ready = slices.some((s) => s.endpoints?.some((e) => e.conditions?.ready !== false && e.addresses.length > 0));
    if (!ready) out.push(service);
  }
  return out;
}

interface HubWait {
  deployments: V1Deployment[];
  /** The webhooks among them: their Services must have a ready endpoint too. */
  webhooks: readonly HubWebhook[];
  since: number;
  deadline: number;
}

/** Until every Deployment has a ready replica and every Service a ready endpoint; throws at a decisive pod fault or the deadline. */
async function waitHubReady(kc: KubeConfig, applier: Applier, w: HubWait): Promise<void> {
  for (;;) {
    const waiting: string[] = [];
    for (const d of w.deployments) {
      const live = await applier.read<V1Deployment & KubernetesObject>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: d.metadata!.name!, namespace: d.metadata!.namespace },
      });
      if ((live?.status?.readyReplicas ?? 0) < 1) waiting.push(d.metadata!.name!);
    }
    const services = w.webhooks.map((x) => x.service);
    const endpointless = waiting.length ? services : await servicesWithoutEndpoints(kc, services);
    if (!waiting.length && !endpointless.length) return;
    const pending = w.deployments.filter((d) => waiting.includes(d.metadata!.name!));
    const pods = await podsIn(kc, w.deployments);
    const fault = decisiveHubFault(
      pending.flatMap((d) => podsOf(d, pods)),
      { since: w.since, now: Date.now() },
    );
    if (fault) {
      // Read again with the kubelet's pull error or the crashed container's log tail.
      const context = await readPodFaultContext(kc, fault.pod);
      throw new Error(describeHubFault(podFault(fault.pod, context) ?? fault.fault, context));
    }
    const loopback = loopbackWebhookPod(
      w.deployments.filter((d) => w.webhooks.some((x) => x.deployment === d.metadata!.name)),
      pods,
    );
    if (loopback) throw new Error(loopback);
    if (Date.now() > w.deadline) {
      const what = [describeHubWait(pending, pods), ...endpointless.map((x) => `Service ${x} (no ready endpoint)`)].filter(Boolean);
      throw new Error(`OCM hub not ready in namespace ${HUB_NAMESPACE}: waiting for ${what.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Until the API server calls every webhook and gets its verdict (WEBHOOK_PROBES, dry runs: nothing is stored): an
 * endpoint it has not seen yet, a certificate the caBundle does not verify, a server not answering all show here.
 */
async function waitWebhooksAnswer(kc: KubeConfig, deadline: number): Promise<void> {
  const objects = makeObjectApi(kc);
  for (const p of WEBHOOK_PROBES)
    for (;;) {
      const answer = await objects.create(p.object, undefined, 'All').then(
        () => 'admitted',
        (e: unknown) => toKubeApiError(e).message,
      );
      if (probeRefused(p, answer)) break;
      if (Date.now() > deadline) throw new Error(`OCM hub webhook ${p.webhook} does not answer the API server: ${answer}`);
      await new Promise((r) => setTimeout(r, 500));
    }
}

/**
 * Applies the hub and waits until its controllers (and with `webhooks` its webhook servers) are ready; returns the
 * objects it applied (not the webhook Secrets). Throws at once when a pod of theirs cannot get its image or
 * crash-loops (decisiveHubFault), and at the timeout with each pod's state.
 */
export async function installHub(kc: KubeConfig, o: HubOptions): Promise<KubernetesObject[]> {
  const since = Date.now();
  const applier = new Applier(makeObjectApi(kc));
  const secretRef = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: HUB_NAMESPACE } });
  const pki = o.webhooks ? await planWebhookPKI((name) => applier.read<SecretObject>(secretRef(name))) : undefined;
  const objects = renderHub(o.manifests, o.access ?? metaAccessOf(kc), pki ? { webhooks: { caPEM: pki.caPEM } } : {});
  let secretsApplied = !pki;
  for (const obj of objects) {
    if (isWebhookConfiguration(obj)) continue; // once the servers answer, below
    if (obj.kind === 'Deployment' && !secretsApplied) {
      // The namespace is there by now; the servers mount these.
      for (const s of pki!.secrets) await applier.ensureAgainst(s.desired, s.live);
      secretsApplied = true;
    }
    if (obj.kind === 'CustomResourceDefinition') await ensureCRD(kc, obj as V1CustomResourceDefinition);
    else await applier.ensure(obj);
  }
  const issued = pki?.issued.length
    ? `; webhook certificates issued: ${pki.issued.map((i) => `${i.secret} (${i.reason})`).join(', ')}`
    : '';
  o.log?.(`OCM hub: ${objects.length} objects applied${issued}`);
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  await waitHubReady(kc, applier, {
    deployments: objects.filter((x): x is V1Deployment & KubernetesObject => x.kind === 'Deployment'),
    webhooks: pki ? HUB_WEBHOOKS : [],
    since,
    deadline,
  });
  const configs = objects.filter(isWebhookConfiguration);
  for (const c of configs) await applier.ensure(c);
  if (!configs.length) return objects;
  await waitWebhooksAnswer(kc, deadline);
  o.log?.(`OCM hub: admission webhooks ${configs.map((c) => c.metadata!.name).join(', ')} answer`);
  return objects;
}
