// Key material as PEM strings, and the bridge between PEM and WebCrypto keys that @peculiar/x509 needs.
import { createPrivateKey, createPublicKey, generateKeyPair, webcrypto } from 'node:crypto';
import { forget, memoized } from './memo';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

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

/** WebCrypto parameters for signing with a given key: ECDSA or RSA PKCS#1 v1.5, always SHA-256. */
export interface SigningParams {
  importParams: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  signingAlgorithm: webcrypto.EcdsaParams | webcrypto.Algorithm;
}

/** By the key's text (parsing a PEM costs ~0.2 ms; issuing a cluster's certificates asked it ~16 times of 3 keys). */
export function signingParamsFor(privateKeyPem: string): SigningParams {
  return structuredClone(memoized('signingParamsFor', [privateKeyPem], () => readSigningParams(privateKeyPem)));
}

function readSigningParams(privateKeyPem: string): SigningParams {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : undefined;
    if (!namedCurve) throw new Error(`unsupported EC curve ${curve ?? '(unknown)'}; use P-256 or P-384`);
    return {
      importParams: { name: 'ECDSA', namedCurve },
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    };
  }
  if (key.asymmetricKeyType === 'rsa') {
    return {
      importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' },
    };
  }
  throw new Error(`unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}; use ECDSA or RSA`);
}

/**
 * Import a private key PEM (PKCS#8, SEC1 or PKCS#1) as a WebCrypto signing key. Remembered by the key's text: a CA
 * signs a cluster's 8 certificates, and the import was ~10 % of the cluster operator's CPU in a fleet's first passes
 * (npm run bench -- reconcile, --cpu-prof). The key is not extractable; a failed import is not kept.
 */
export function importSigningKey(privateKeyPem: string): Promise<CryptoKey> {
  const imported = memoized('importSigningKey', [privateKeyPem], async () => {
    const { importParams } = signingParamsFor(privateKeyPem);
    // WebCrypto only reads PKCS#8; let node:crypto normalise the other encodings first.
    const der = createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'der' });
    return webcrypto.subtle.importKey('pkcs8', der, importParams, false, ['sign']) as Promise<CryptoKey>;
  });
  return imported.catch((e) => {
    forget('importSigningKey', [privateKeyPem]);
    throw e;
  });
}

/** A fresh WebCrypto key pair; the private half is exportable so it can be written as PEM. */
export async function generateCryptoKeyPair(algorithm: KeyAlgorithm = 'ecdsa-p256'): Promise<CryptoKeyPair> {
  const params =
    algorithm === 'rsa-2048'
      ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  return webcrypto.subtle.generateKey(params, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return toPem('PRIVATE KEY', der);
}

export function toPem(label: string, der: Buffer): string {
  const body = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
