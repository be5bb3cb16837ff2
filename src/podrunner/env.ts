// A container's environment as the kubelet builds it: envFrom first, then env in order, each value
// `$(VAR)`-expanded against what is defined so far; valueFrom reads pod fields, Secrets and ConfigMaps.
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { expandVars } from './expand';

/** A reference the container needs but that does not exist (yet): the kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

export interface EnvLookup {
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface PodAddresses {
  podIP: string;
  hostIP: string;
}

/** Decoded data of a Secret (`data` is base64) or a ConfigMap (`data` plain, `binaryData` base64). */
export function secretData(secret: { data?: Record<string, string>; stringData?: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

const MEMORY_SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Parses a Kubernetes quantity (`100m`, `2Gi`, `1e3`) to a number. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([+-]?[\d.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(q.trim());
  if (!m || !(m[2] in MEMORY_SUFFIX)) throw new Error(`invalid quantity ${q}`);
  return Number(m[1]) * MEMORY_SUFFIX[m[2]];
}

export interface NodeCapacity {
  cpu: number;
  memoryBytes: number;
}

function resourceField(container: V1Container, resource: string, divisor: string | undefined, node: NodeCapacity): string {
  const [kind, name] = resource.split('.');
  const limits = (container.resources?.limits ?? {}) as Record<string, string>;
  const requests = (container.resources?.requests ?? {}) as Record<string, string>;
  const set = kind === 'limits' ? limits : requests;
  let value: number;
  if (set[name] !== undefined) value = parseQuantity(set[name]);
  else if (kind === 'limits' && name === 'cpu') value = node.cpu;
  else if (kind === 'limits' && name === 'memory') value = node.memoryBytes;
  else value = 0;
  const d = divisor ? parseQuantity(divisor) : 1;
  return String(Math.ceil(value / d));
}

function fieldValue(pod: V1Pod, fieldPath: string, addr: PodAddresses): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = (labelOrAnnotation[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
    return map[labelOrAnnotation[2]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return addr.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return addr.hostIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef ${fieldPath}`);
  }
}

/** Values of the downward API `fieldRef`s (shared with downwardAPI volumes). */
export { fieldValue as podFieldValue };

async function valueOf(
  v: V1EnvVar,
  pod: V1Pod,
  container: V1Container,
  addr: PodAddresses,
  lookup: EnvLookup,
  node: NodeCapacity,
  vars: Map<string, string>,
): Promise<string | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  if (!v.valueFrom) return expandVars(v.value ?? '', vars);
  const from = v.valueFrom;
  if (from.fieldRef) return fieldValue(pod, from.fieldRef.fieldPath, addr);
  if (from.resourceFieldRef)
    return resourceField(container, from.resourceFieldRef.resource, from.resourceFieldRef.divisor as string | undefined, node);
  const ref = from.secretKeyRef ?? from.configMapKeyRef;
  if (ref) {
    const kind = from.secretKeyRef ? 'secret' : 'configmap';
    const data = from.secretKeyRef ? await lookup.secret(ns, ref.name!) : await lookup.configMap(ns, ref.name!);
    const value = data?.[ref.key];
    if (value === undefined && !ref.optional) {
      throw new ContainerConfigError(
        data ? `couldn't find key ${ref.key} in ${kind} ${ns}/${ref.name}` : `${kind} "${ref.name}" not found`,
      );
    }
    return value;
  }
  throw new ContainerConfigError(`env ${v.name}: unsupported valueFrom`);
}

export async function containerEnv(
  pod: V1Pod,
  container: V1Container,
  addr: PodAddresses,
  lookup: EnvLookup,
  node: NodeCapacity,
): Promise<Map<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  for (const src of container.envFrom ?? []) {
    const ref = src.secretRef ?? src.configMapRef;
    if (!ref) continue;
    const kind = src.secretRef ? 'secret' : 'configmap';
    const data = src.secretRef ? await lookup.secret(ns, ref.name!) : await lookup.configMap(ns, ref.name!);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) vars.set((src.prefix ?? '') + k, v);
  }
  for (const v of container.env ?? []) {
    const value = await valueOf(v, pod, container, addr, lookup, node, vars);
    if (value !== undefined) vars.set(v.name, value);
  }
  return vars;
}
