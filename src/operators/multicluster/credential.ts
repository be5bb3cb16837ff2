// The hosted agent's kubeconfig for its business cluster: a client certificate of its own (render/credential.ts says
// what it must contain), signed by the business cluster's CA, kept in the one Secret the agent mounts. Issued when
// missing or no longer fitting (server, CA, subject, key, ten days before expiry); never on an ordinary pass. Key
// material goes from here into that Secret only: nothing here logs it or puts it in a message.
import { AuthorizationV1Api, KubeConfig, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import { buildKubeconfig, issueCert } from '../../pki';
import type { Applier } from '../../kit';
import { secretText } from '../../kube';
import { AGENT_NAMESPACE, agentNames } from './names';
import { renderManagedKubeconfig } from './render/agent';
import { AGENT_CERT_VALID_DAYS, AGENT_GROUP, agentCredentialProblem, agentUser } from './render/credential';

/** The cluster operator's CA Secret of a business cluster (operators/cluster/names.ts: `names.cert(c, 'ca')`, kubernetes.io/tls). */
const caSecretName = (cluster: string) => `${cluster}-ca`;

type SecretObject = V1Secret & KubernetesObject;

export interface AgentCredentialInput {
  applier: Applier;
  /** The BusinessCluster's namespace and name (where its CA Secret is). */
  namespace: string;
  cluster: string;
  mc: string;
  /** The admin kubeconfig the operator uses: the agent reaches the business apiserver at the same address, unless `server`. */
  adminKubeconfig: string;
  /** Where the agent (a pod of the meta cluster) reaches the business apiserver, when not at the admin kubeconfig's address. */
  server?: string;
  now?: Date;
}

export type AgentCredential = { kubeconfig: string; issued?: string } | { waiting: string };

export async function ensureAgentCredential(i: AgentCredentialInput): Promise<AgentCredential> {
  const ca = await i.applier.read<SecretObject>({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: caSecretName(i.cluster), namespace: i.namespace },
  });
  const caPem = secretText(ca, 'tls.crt');
  const caKey = secretText(ca, 'tls.key');
  if (!caPem || !caKey) return { waiting: `waiting for the cluster operator to write the CA Secret ${caSecretName(i.cluster)}` };
  const admin = new KubeConfig();
  admin.loadFromString(i.adminKubeconfig);
  const server = i.server ?? admin.getCurrentCluster()?.server;
  if (!server) return { waiting: 'the admin kubeconfig names no server' };

  const secretRef = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: agentNames(i.mc).managedKubeconfigSecret, namespace: AGENT_NAMESPACE },
  };
  const live = await i.applier.read<SecretObject>(secretRef);
  const current = secretText(live, 'kubeconfig');
  const now = i.now ?? new Date();
  const problem = agentCredentialProblem(current, { server, caPem, mc: i.mc, now });
  if (!problem) return { kubeconfig: current! };

  const user = agentUser(i.mc);
  const pair = await issueCert(
    { certPem: caPem, keyPem: caKey },
    { commonName: user, organizations: [AGENT_GROUP], usages: ['client'], validDays: AGENT_CERT_VALID_DAYS, now },
  );
  const kubeconfig = buildKubeconfig({ clusterName: i.mc, server, caPem, user, clientCertPem: pair.certPem, clientKeyPem: pair.keyPem });
  await i.applier.ensureAgainst(renderManagedKubeconfig(i.mc, kubeconfig) as KubernetesObject, live);
  return { kubeconfig, issued: problem };
}

/**
 * The gate before a hosted agent starts (a BusinessCluster's and an imported cluster's alike): whether its identity
 * may get ConfigMaps, as a SubjectAccessReview asked through `kc` says. The work agent acts through the built-in
 * `admin` role, whose rules the cluster's controller-manager aggregates once it runs; an agent started earlier is
 * refused (403) until then (seen in CI: 24 forbidden GETs of its first ManifestWork's ConfigMap).
 */
export async function agentRBACInEffect(kc: KubeConfig, user: string, groups: string[]): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: { spec: { user, groups, resourceAttributes: { verb: 'get', resource: 'configmaps' } } },
  });
  return !!review.status?.allowed;
}
