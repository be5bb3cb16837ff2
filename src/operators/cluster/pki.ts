// The PKI step: the cluster's CAs, leaf certificates, service-account keys and kubeconfigs as Secrets.
// Each is re-issued only when missing, unreadable, not fitting its spec (SANs, subject, signer), near
// expiry, or when the cluster's rotation annotation asks for it; never on an ordinary pass. Key material
// goes from here into Secrets only: nothing in this file logs or returns it in messages.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { BusinessCluster, DefaultedBusinessCluster } from '../../api';
import {
  buildKubeconfig,
  caRenewalProblem,
  certInfo,
  createCA,
  createKeyPair,
  issueCert,
  keyMatchesCert,
  kubeconfigParts,
  needsRenewal,
  publicKeyOf,
  type CertKeyPair,
  type CertUsage,
  type KubeconfigParts,
} from '../../pki';
import type { Applier } from '../../kit';
import { secretText } from '../../kube';
import { KUBECONFIG_KEY, ROTATE_ANNOTATION, ROTATED_FOR_ANNOTATION, names } from './names';
import { contentHash } from './render/common';
import {
  CA_RENEW_DAYS,
  CA_SPECS,
  CA_VALID_DAYS,
  LEAF_RENEW_DAYS,
  LEAF_VALID_DAYS,
  kubeconfigSpecs,
  leafSpecs,
  pkiSecrets,
  renderSecret,
  type PKIFacts,
  type Signer,
} from './render/pki';

interface SecretObject extends KubernetesObject {
  type?: string;
  data?: Record<string, string>;
}

export interface PKIResult {
  /** Content hash of every Secret written or found, by name (for the pod-template annotation). */
  secretHashes: Record<string, string>;
  caPem: string;
  /** Secret names that were (re)issued in this pass, with why (no key material). */
  issued: Array<{ secret: string; reason: string }>;
  adminKubeconfigSecret: string;
  /** system:masters: what the operator itself uses inside the business cluster. */
  superAdminKubeconfigSecret: string;
  /** When the first kubeconfig is due for re-issue (the short-lived admin one): the pass requeues for it. */
  renewAt: Date;
}

const secretRef = (c: BusinessCluster, name: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: c.metadata.namespace },
});

function subjectProblem(certPem: string, commonName: string, organizations: string[]): string | undefined {
  const info = certInfo(certPem);
  if (info.commonName !== commonName) return `subject CN ${info.commonName} is not ${commonName}`;
  if ([...info.organizations].sort().join(',') !== [...organizations].sort().join(',')) return 'subject organizations changed';
  return undefined;
}

function leafProblem(
  certPem: string | undefined,
  keyPem: string | undefined,
  ca: CertKeyPair,
  want: {
    commonName: string;
    organizations: string[];
    usages: CertUsage[];
    dnsNames?: string[];
    ipAddresses?: string[];
    renewDays?: number;
  },
  now: Date,
): string | undefined {
  if (!certPem || !keyPem) return 'missing';
  const v = needsRenewal(certPem, ca.certPem, {
    minRemainingDays: want.renewDays ?? LEAF_RENEW_DAYS,
    requiredDNS: want.dnsNames,
    requiredIPs: want.ipAddresses,
    requiredUsages: want.usages,
    keyPem,
    now,
  });
  if (v.renew) return v.reason;
  return subjectProblem(certPem, want.commonName, want.organizations);
}

export interface PKIInputs {
  cluster: DefaultedBusinessCluster;
  applier: Applier;
  facts: PKIFacts;
  /** The etcd cluster's CA (signs the apiserver's etcd client certificate). */
  etcdCA: CertKeyPair;
  now?: Date;
}

/* eslint-disable-next-line max-lines-per-function -- the certificate chain in signing order (CAs, then what each signs); one list reads
   as the cluster's PKI */
export async function ensurePKI(inputs: PKIInputs): Promise<PKIResult> {
  const { cluster: c, applier, facts, etcdCA } = inputs;
  const now = inputs.now ?? new Date();
  const name = c.metadata.name;
  const rotation = c.metadata.annotations?.[ROTATE_ANNOTATION];
  const rotationAnnotations = rotation ? { [ROTATED_FOR_ANNOTATION]: rotation } : undefined;
  const rotationPending = (s: SecretObject | undefined) =>
    rotation !== undefined && s?.metadata?.annotations?.[ROTATED_FOR_ANNOTATION] !== rotation;
  const hashes: Record<string, string> = {};
  const issued: PKIResult['issued'] = [];

  // Names, purposes, types and keys come from pkiSecrets (what `kokpit render` shows); this step adds the values.
  const planned = new Map(pkiSecrets(c, facts).map((s) => [s.name, s]));
  const write = async (
    secretName: string,
    data: Record<string, string>,
    live: SecretObject | undefined,
    annotations?: Record<string, string>,
  ) => {
    const { purpose, type } = planned.get(secretName)!;
    const desired = renderSecret(c, secretName, purpose, data, { type, annotations });
    const stored = (await applier.ensureAgainst(desired as KubernetesObject, live)) as SecretObject;
    hashes[secretName] = contentHash(stored.data ?? {});
    return stored;
  };
  /** Writes newly issued material: exactly the keys pkiSecrets lists for the Secret. */
  const issue = (
    secretName: string,
    reason: string,
    data: Record<string, string>,
    live: SecretObject | undefined,
    annotations?: Record<string, string>,
  ) => {
    const keys = planned.get(secretName)?.keys;
    if (!keys || keys.join() !== Object.keys(data).sort().join())
      throw new Error(`PKI: ${secretName} (${Object.keys(data).sort().join(', ')}) is not as pkiSecrets lists it`);
    issued.push({ secret: secretName, reason });
    return write(secretName, data, live, annotations);
  };
  /** Keeps an existing Secret's content; only restores our labels/owner reference if someone removed them. */
  const keep = async (secretName: string, live: SecretObject) => {
    const data = Object.fromEntries(Object.entries(live.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    return write(secretName, data, live, pick(live.metadata?.annotations, ROTATED_FOR_ANNOTATION));
  };
  // Every Secret from the cache; a miss (a new cluster's: all 11) is taken as absent with no request, and what is
  // issued for it is written create-only, so a Secret there after all (unlabelled) refuses the write and is read and
  // kept on the next pass (kit Applier: missMeansAbsent).
  const lives = new Map(
    await Promise.all(
      [...planned.keys()].map(async (n) => [n, await applier.read<SecretObject>(secretRef(c, n), { missMeansAbsent: true })] as const),
    ),
  );
  const read = async (secretName: string) => lives.get(secretName);

  // The service-account keys' check needs no CA: a new key is made meanwhile. ECDSA P-256 (ES256 tokens, which the
  // apiserver and controller-manager sign and verify as they do RS256; kubeadm's ECDSA-P256 encryptionAlgorithm):
  // an RSA-2048 key cost ~140 ms of CPU here, a third of a new cluster's (npm run bench -- fleet). Keys already
  // issued stay as they are (the check compares the halves, not the algorithm).
  const saName = names.serviceAccountKeys(name);
  const saProblem = serviceAccountKeysProblem(await read(saName));
  const saPair = saProblem ? createKeyPair('ecdsa-p256') : undefined;
  saPair?.catch(() => undefined); // awaited below; a CA step that throws first must not leave it unhandled

  // 1. CAs: the cluster CA and the front-proxy CA. Rotation requests do not replace CAs (that would
  //    cut off every node); a CA is replaced only when missing, broken or near expiry.
  const cas: Record<'ca' | 'front-proxy-ca', CertKeyPair> = {} as never;
  for (const { purpose, commonName: cn } of CA_SPECS) {
    const secretName = names.cert(name, purpose);
    const live = await read(secretName);
    const certPem = secretText(live, 'tls.crt');
    const keyPem = secretText(live, 'tls.key');
    const problem = caRenewalProblem(certPem, keyPem, { minRemainingDays: CA_RENEW_DAYS, now });
    if (problem) {
      const ca = await createCA(cn, { validDays: CA_VALID_DAYS, now });
      await issue(secretName, problem, { 'tls.crt': ca.certPem, 'tls.key': ca.keyPem }, live);
      cas[purpose] = ca;
    } else {
      await keep(secretName, live!);
      cas[purpose] = { certPem: certPem!, keyPem: keyPem! };
    }
  }
  const signers: Record<Signer, CertKeyPair> = { ca: cas.ca, 'front-proxy-ca': cas['front-proxy-ca'], 'etcd-ca': etcdCA };

  // 2. Service-account token signing keys.
  {
    const live = await read(saName);
    if (saPair) {
      const pair = await saPair;
      await issue(saName, saProblem!, { 'sa.key': pair.privateKeyPem, 'sa.pub': pair.publicKeyPem }, live);
    } else {
      await keep(saName, live!);
    }
  }

  // 3. Leaf certificates.
  for (const spec of leafSpecs(c, facts)) {
    const secretName = names.cert(name, spec.purpose);
    const signer = signers[spec.signer];
    const live = await read(secretName);
    const certPem = secretText(live, 'tls.crt');
    const keyPem = secretText(live, 'tls.key');
    let problem = leafProblem(certPem, keyPem, signer, spec, now);
    if (!problem && rotationPending(live)) problem = `rotation requested (${ROTATE_ANNOTATION})`;
    // The etcd client Secret also carries the etcd CA, to verify etcd's serving certificate.
    const extra: Record<string, string> = spec.signer === 'etcd-ca' ? { 'ca.crt': signer.certPem } : {};
    if (!problem && spec.signer === 'etcd-ca' && secretText(live, 'ca.crt') !== signer.certPem) problem = 'etcd CA changed';
    if (problem) {
      const pair = await issueCert(signer, {
        commonName: spec.commonName,
        organizations: spec.organizations,
        dnsNames: spec.dnsNames,
        ipAddresses: spec.ipAddresses,
        usages: spec.usages,
        validDays: LEAF_VALID_DAYS,
        now,
      });
      await issue(secretName, problem, { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem, ...extra }, live, rotationAnnotations);
    } else {
      await keep(secretName, live!);
    }
  }

  // 4. Kubeconfigs (client certificates signed by the cluster CA, everything inline).
  let renewAt = Infinity;
  for (const spec of kubeconfigSpecs(c, facts)) {
    const secretName = names.kubeconfig(name, spec.purpose);
    const live = await read(secretName);
    const renewMs = (spec.renewDays ?? LEAF_RENEW_DAYS) * DAY_MS;
    let problem = kubeconfigProblem(secretText(live, KUBECONFIG_KEY), spec, cas.ca, now);
    if (!problem && rotationPending(live)) problem = `rotation requested (${ROTATE_ANNOTATION})`;
    if (problem) {
      const pair = await issueCert(cas.ca, {
        commonName: spec.user,
        organizations: spec.organizations,
        usages: ['client'],
        validDays: spec.validDays ?? LEAF_VALID_DAYS,
        now,
      });
      const kubeconfig = buildKubeconfig({
        clusterName: name,
        server: spec.server,
        caPem: cas.ca.certPem,
        user: spec.user,
        clientCertPem: pair.certPem,
        clientKeyPem: pair.keyPem,
      });
      await issue(secretName, problem, { [KUBECONFIG_KEY]: kubeconfig }, live, rotationAnnotations);
      renewAt = Math.min(renewAt, certInfo(pair.certPem).notAfter.getTime() - renewMs);
    } else {
      await keep(secretName, live!);
      renewAt = Math.min(renewAt, kubeconfigNotAfter(secretText(live, KUBECONFIG_KEY)!) - renewMs);
    }
  }

  return {
    secretHashes: hashes,
    caPem: cas.ca.certPem,
    issued,
    adminKubeconfigSecret: names.kubeconfig(name, 'admin'),
    superAdminKubeconfigSecret: names.kubeconfig(name, 'superadmin'),
    renewAt: new Date(renewAt),
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Why the service-account key pair must be made anew, or undefined when the Secret holds a matching pair. */
function serviceAccountKeysProblem(live: SecretObject | undefined): string | undefined {
  const key = secretText(live, 'sa.key');
  const pub = secretText(live, 'sa.pub');
  try {
    if (key && pub && publicKeyOf(key).trim() === pub.trim()) return undefined;
  } catch {
    // unreadable: made anew, as a mismatch is
  }
  return key ? 'public key does not match' : 'missing';
}

/** notAfter (ms) of the client certificate inside a kubeconfig that kubeconfigProblem accepted. */
function kubeconfigNotAfter(text: string): number {
  return certInfo(kubeconfigParts(text).clientCertPem ?? '').notAfter.getTime();
}

function pick(m: Record<string, string> | undefined, key: string): Record<string, string> {
  return m?.[key] !== undefined ? { [key]: m[key] } : {};
}

function kubeconfigProblem(
  text: string | undefined,
  spec: { server: string; user: string; organizations: string[]; renewDays?: number },
  ca: CertKeyPair,
  now: Date,
): string | undefined {
  if (!text) return 'missing';
  let k: KubeconfigParts;
  try {
    k = kubeconfigParts(text);
  } catch {
    return 'unreadable';
  }
  if (k.server !== spec.server) return `server changed to ${spec.server}`;
  if (k.caPem !== ca.certPem) return 'CA changed';
  const { clientCertPem: certPem, clientKeyPem: keyPem } = k;
  if (certPem && keyPem && !keyMatchesCert(keyPem, certPem)) return 'key does not match the certificate';
  const want = { commonName: spec.user, organizations: spec.organizations, usages: ['client'] as CertUsage[], renewDays: spec.renewDays };
  return leafProblem(certPem, keyPem, ca, want, now);
}
