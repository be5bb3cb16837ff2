// Key material as PEM strings.
import { createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import { memoized } from './memo';

/** Algorithms kokpit issues keys with. ECDSA P-256 is the default: fast to make, accepted everywhere in Kubernetes. */
export type KeyAlgorithm = 'ecdsa-p256' | 'rsa-2048';

export interface KeyPairPem {
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem: string;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  privateKeyPem: string;
}

/** A fresh key pair, e.g. for service-account token signing (`--service-account-signing-key-file`). */
export async function createKeyPair(algorithm: KeyAlgorithm = 'ecdsa-p256'): Promise<KeyPairPem> {
  const encoding = {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  } as const;
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKeyPem: string, privateKeyPem: string) =>
      err ? reject(err) : resolve({ publicKeyPem, privateKeyPem });
    if (algorithm === 'rsa-2048') generateKeyPair('rsa', { modulusLength: 2048, ...encoding }, done);
    else generateKeyPair('ec', { namedCurve: 'prime256v1', ...encoding }, done);
  });
}

/** The SPKI PEM of the public half of a private key (any format node:crypto reads). */
export function publicKeyOf(privateKeyPem: string): string {
  return memoized('publicKeyOf', [privateKeyPem], () =>
    createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString(),
  );
}

export function toPem(label: string, der: Buffer): string {
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
