// Which kubeconfig contexts hold a kokpit meta cluster (issue 21, several meta clusters): one discovery request per
// context (GET /apis/kokpit.dev/v1alpha1, which any authenticated client may read), all at once, each with a short
// deadline. A context that does not answer is kept as "unreachable" with the reason; one that answers without
// kokpit's kinds is left out. No vscode here: the editor builds the candidates and shows the result.
import type { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION } from '../api';
import { describeKubeError } from '../kube';
import { servedResources } from '../kube/discovery';

const [GROUP, VERSION] = API_VERSION.split('/');
/** The kind whose CRD says "a kokpit meta cluster": the one every fleet has. */
const MARKER = 'businessclusters';

/** A context to look at: from the user's kubeconfig, or the kubeconfig file of a local environment (`kokpit up`). */
export interface MetaClusterCandidate {
  /** The kubeconfig context. */
  context: string;
  /** A kubeconfig file of its own (a local environment's); undefined: the user's kubeconfig. */
  file?: string;
  /** Where it came from, shown beside it (e.g. `local environment "dev"`). */
  origin?: string;
  /** The kubeconfig with this context selected (may throw: a context naming a missing cluster or user). */
  kubeConfig(): KubeConfig;
}

export interface DiscoveredMetaCluster {
  /** Identity: the context and the file it is read from. */
  key: string;
  context: string;
  file?: string;
  origin?: string;
  /** The tree label, unique among the results (the context, or the context and its origin when two share a name). */
  label: string;
  server: string;
  reachable: boolean;
  /** Why it could not be asked (unreachable only); never holds credentials. */
  reason?: string;
}

/** The identity of a context: its name, and the file when it is not the user's kubeconfig. */
export function metaClusterKey(context: string, file?: string): string {
  return file ? `${file}#${context}` : context;
}

export interface DiscoveryOptions {
  /** Deadline of each context's request (default 3 s); a slow context never delays the answer beyond it. */
  timeoutMs?: number;
  /** Whether the server at `kc` serves kokpit's kinds (default: one discovery request); throws when it cannot tell. */
  served?: (kc: KubeConfig) => Promise<boolean>;
}

/** Whether kokpit's CRDs are served (the group version lists businessclusters). */
export async function servesKokpit(kc: KubeConfig): Promise<boolean> {
  return (await servedResources(kc, GROUP, VERSION)).has(MARKER);
}

type Probe = { reachable: true; meta: boolean } | { reachable: false; reason: string };

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s from ${what}`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(c: MetaClusterCandidate, opts: DiscoveryOptions): Promise<{ server: string; probe: Probe }> {
  let server = '';
  try {
    const kc = c.kubeConfig();
    server = kc.getCurrentCluster()?.server ?? '';
    const meta = await withDeadline((opts.served ?? servesKokpit)(kc), opts.timeoutMs ?? 3000, server || c.context);
    return { server, probe: { reachable: true, meta } };
  } catch (e) {
    // describeKubeError redacts anything that looks like key material; the kubeconfig itself is never in an error.
    return { server, probe: { reachable: false, reason: describeKubeError(e) } };
  }
}

/** Every candidate asked in parallel; the meta clusters and the unreachable contexts, in the candidates' order. */
export async function discoverMetaClusters(
  candidates: readonly MetaClusterCandidate[],
  opts: DiscoveryOptions = {},
): Promise<DiscoveredMetaCluster[]> {
  const seen = new Set<string>();
  const unique = candidates.filter((c) => {
    const key = metaClusterKey(c.context, c.file);
    return !seen.has(key) && seen.add(key);
  });
  const answers = await Promise.all(unique.map((c) => probe(c, opts)));
  const found = unique.flatMap((c, i): DiscoveredMetaCluster[] => {
    const { server, probe: p } = answers[i];
    if (p.reachable && !p.meta) return [];
    const base = { key: metaClusterKey(c.context, c.file), context: c.context, file: c.file, origin: c.origin, label: c.context, server };
    return [p.reachable ? { ...base, reachable: true } : { ...base, reachable: false, reason: p.reason }];
  });
  // Two files may use one context name (tree ids derive from the label): the later ones say where they come from.
  const labels = new Set<string>();
  for (const d of found) {
    if (labels.has(d.label)) d.label = `${d.context} (${d.origin ?? d.file ?? 'kubeconfig'})`;
    labels.add(d.label);
  }
  return found;
}
