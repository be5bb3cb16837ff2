// The certificate `/metrics` is served with when secure: the one mounted for it (a cert-manager or Secret
// volume: tls.crt and tls.key, kubebuilder's names), else a self-signed one made at start — as
// controller-runtime does — which Prometheus accepts with `insecure_skip_verify` and the bearer token still guards.
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { createCA, issueCert, type CertKeyPair } from '../pki';

export async function metricsServingCert(certDir?: string): Promise<{ certPem: string; keyPem: string }> {
  if (certDir) {
    const read = (f: string) => {
      try {
        return fs.readFileSync(path.join(certDir, f), 'utf8');
      } catch (e) {
        throw new Error(`--metrics-cert-path ${certDir}: cannot read ${f} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
          cause: e,
        });
      }
    };
    return { certPem: read('tls.crt'), keyPem: read('tls.key') };
  }
  const ca = await createCA('kokpit-manager-metrics-ca', { validDays: 365 });
  const leaf: CertKeyPair = await issueCert(ca, {
    commonName: 'kokpit-manager-metrics',
    dnsNames: [hostname(), 'localhost', 'kokpit-manager-metrics-service.kokpit-system.svc'],
    ipAddresses: ['127.0.0.1'],
    usages: ['server'],
    validDays: 365,
  });
  return { certPem: `${leaf.certPem}${ca.certPem}`, keyPem: leaf.keyPem };
}
