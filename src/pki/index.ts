export { createKeyPair, publicKeyOf, type KeyAlgorithm, type KeyPairPem } from './keys';
export {
  caRenewalProblem,
  canonicalIP,
  certInfo,
  createCA,
  issueCert,
  keyMatchesCert,
  needsRenewal,
  type CertInfo,
  type CertKeyPair,
  type CertUsage,
  type CertificateAuthority,
  type CreateCAOptions,
  type IssueCertOptions,
  type RenewalCheck,
  type RenewalVerdict,
} from './certs';
export { buildKubeconfig, kubeconfigParts, type KubeconfigOptions, type KubeconfigParts } from './kubeconfig';
