// The certificates a local control plane needs, written as files (0600) for the binaries' flags.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCA, createKeyPair, issueCert, type CertKeyPair, type KeyPairPem } from '../pki';
import type { KubeletServingTLS } from '../podrunner/kubelet-server';

/** First address of the service range: the `kubernetes` Service's ClusterIP, which the serving cert must name. */
export const SERVICE_CIDR = '10.96.0.0/16';
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

export interface ControlPlanePKI {
  ca: CertKeyPair;
  apiserver: CertKeyPair;
  admin: CertKeyPair;
  controllerManager: CertKeyPair;
  scheduler: CertKeyPair;
  /** Serving certificate for kube-controller-manager/kube-scheduler secure ports (127.0.0.1). */
  componentServing: CertKeyPair;
  serviceAccount: KeyPairPem;
  etcdCA: CertKeyPair;
  etcdServer: CertKeyPair;
  /** kube-apiserver's client certificate for etcd. */
  apiserverEtcdClient: CertKeyPair;
  /** kube-apiserver's client certificate for kubelets (pods/log, exec, port-forward): kubeadm's apiserver-kubelet-client. */
  apiserverKubeletClient: CertKeyPair;
  /** A client certificate for tests that talk to etcd directly. */
  etcdClient: CertKeyPair;
}

const VALID_DAYS = 7;
/** The user kube-apiserver is to kubelets (its --kubelet-client-certificate's CN, as kubeadm names it). */
export const KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

/** Kubelet serving material from a control plane's CA (the sandbox's and the tests' pod runners). */
export function kubeletServingTLS(ca: CertKeyPair): KubeletServingTLS {
  return {
    clientCaPem: ca.certPem,
    allowedUsers: [KUBELET_CLIENT_USER],
    issueServing: (nodeName, ip) =>
      issueCert(ca, {
        commonName: `system:node:${nodeName}`,
        organizations: ['system:nodes'],
        dnsNames: [nodeName],
        ipAddresses: [ip],
        usages: ['server'],
        validDays: VALID_DAYS,
      }),
  };
}

export async function generateControlPlanePKI(): Promise<ControlPlanePKI> {
  const [ca, etcdCA, serviceAccount] = await Promise.all([
    createCA('kokpit-testenv-ca', { validDays: VALID_DAYS }),
    createCA('kokpit-testenv-etcd-ca', { validDays: VALID_DAYS }),
    createKeyPair(),
  ]);
  const local = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], validDays: VALID_DAYS };
  const [apiserver, admin, controllerManager, scheduler, componentServing, etcdServer, apiserverEtcdClient, etcdClient, kubeletClient] =
    await Promise.all([
      issueCert(ca, {
        commonName: 'kube-apiserver',
        dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
        ipAddresses: ['127.0.0.1', KUBERNETES_SERVICE_IP],
        usages: ['server'],
        validDays: VALID_DAYS,
      }),
      issueCert(ca, { commonName: 'kokpit-admin', organizations: ['system:masters'], usages: ['client'], validDays: VALID_DAYS }),
      issueCert(ca, { commonName: 'system:kube-controller-manager', usages: ['client'], validDays: VALID_DAYS }),
      issueCert(ca, { commonName: 'system:kube-scheduler', usages: ['client'], validDays: VALID_DAYS }),
      issueCert(ca, { commonName: 'kokpit-testenv-components', usages: ['server'], ...local }),
      issueCert(etcdCA, { commonName: 'etcd', usages: ['server', 'client'], ...local }),
      issueCert(etcdCA, { commonName: 'kube-apiserver-etcd-client', usages: ['client'], validDays: VALID_DAYS }),
      issueCert(etcdCA, { commonName: 'kokpit-etcd-client', usages: ['client'], validDays: VALID_DAYS }),
      issueCert(ca, { commonName: KUBELET_CLIENT_USER, usages: ['client'], validDays: VALID_DAYS }),
    ]);
  return {
    ca,
    apiserver,
    admin,
    controllerManager,
    scheduler,
    componentServing,
    serviceAccount,
    etcdCA,
    etcdServer,
    apiserverEtcdClient,
    apiserverKubeletClient: kubeletClient,
    etcdClient,
  };
}

/** Write a secret file readable by the owner only. */
export function writeSecretFile(file: string, content: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** Write `<dir>/<name>.crt` and `<dir>/<name>.key`; returns their paths. */
export function writePair(dir: string, name: string, pair: CertKeyPair): { cert: string; key: string } {
  return {
    cert: writeSecretFile(path.join(dir, `${name}.crt`), pair.certPem),
    key: writeSecretFile(path.join(dir, `${name}.key`), pair.keyPem),
  };
}
