// kokpit.yaml (`kokpit.dev/v1alpha1` LocalEnvironment): validated like every other kokpit kind, then read.
import * as fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { LocalEnvironmentSpec } from '../api/local-environment';
import { validateText } from '../validation';

export interface LocalEnvironmentConfig {
  name: string;
  runtime: 'Auto' | 'Kind' | 'Sandbox';
  kubernetesVersion?: string;
  ports: { start: number; count: number };
  extraMounts: NonNullable<NonNullable<LocalEnvironmentSpec['metaCluster']>['extraMounts']>;
  businessClusters: NonNullable<LocalEnvironmentSpec['businessClusters']>;
}

export function defaultEnvironmentConfig(name = 'kokpit'): LocalEnvironmentConfig {
  return { name, runtime: 'Auto', ports: { start: 36443, count: 10 }, extraMounts: [], businessClusters: [] };
}

export function loadEnvironmentConfig(file: string): LocalEnvironmentConfig {
  const text = fs.readFileSync(file, 'utf8');
  const errors = validateText(text).filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`${file} is not a valid LocalEnvironment:\n${errors.map((d) => `  ${file}:${d.line}:${d.column}: ${d.message}`).join('\n')}`);
  const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind?: string; spec?: LocalEnvironmentSpec } | null);
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
  };
}
