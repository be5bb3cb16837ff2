// kokpit.yaml (`kokpit.dev/v1alpha1` LocalEnvironment): validated like every other kokpit kind, then read.
import type { LocalEnvironmentSpec } from '../api/local-environment';
import { checkText } from '../validation';
import { readManifestFile } from '../validation/read-file';

export interface LocalEnvironmentConfig {
  name: string;
  runtime: 'Auto' | 'Kind' | 'Sandbox';
  kubernetesVersion?: string;
  ports: { start: number; count: number };
  extraMounts: NonNullable<NonNullable<LocalEnvironmentSpec['metaCluster']>['extraMounts']>;
  businessClusters: NonNullable<LocalEnvironmentSpec['businessClusters']>;
  /** metaCluster.ocm: install the OCM hub (as `--with-ocm`). */
  ocm: boolean;
  /** metaCluster.podNetwork: the sandbox's pod addresses (pod-network.ts). */
  podNetwork: 'Auto' | 'Loopback' | 'Netns';
}

export function defaultEnvironmentConfig(name = 'kokpit'): LocalEnvironmentConfig {
  return {
    name,
    runtime: 'Auto',
    ports: { start: 36443, count: 10 },
    extraMounts: [],
    businessClusters: [],
    ocm: false,
    podNetwork: 'Auto',
  };
}

export function loadEnvironmentConfig(file: string): LocalEnvironmentConfig {
  // Read within bounds (regular files only, size cap) and used as validated (aliases resolved, merge keys merged).
  const text = readManifestFile(file);
  const { diagnostics, documents } = checkText(text);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length)
    throw new Error(
      `${file} is not a valid LocalEnvironment:\n${errors.map((d) => `  ${file}:${d.line}:${d.column}: ${d.message}`).join('\n')}`,
    );
  const docs = documents as Array<{ kind?: string; spec?: LocalEnvironmentSpec } | null | undefined>;
  const env = docs.find((d) => d?.kind === 'LocalEnvironment');
  if (!env) throw new Error(`${file} holds no LocalEnvironment (apiVersion: kokpit.dev/v1alpha1, kind: LocalEnvironment)`);
  const meta = env.spec?.metaCluster;
  const def = defaultEnvironmentConfig(meta?.name);
  return {
    ...def,
    runtime: meta?.runtime ?? 'Auto',
    kubernetesVersion: meta?.kubernetesVersion,
    ports: { ...def.ports, ...meta?.ports },
    extraMounts: meta?.extraMounts ?? [],
    businessClusters: env.spec?.businessClusters ?? [],
    ocm: meta?.ocm ?? false,
    podNetwork: meta?.podNetwork ?? 'Auto',
  };
}
