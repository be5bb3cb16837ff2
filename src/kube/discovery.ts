// Which resources an API server serves, by discovery: needs no grant (any authenticated client may read it), so a
// command can say "this kind is not installed" before it writes anything, instead of failing halfway.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { isNotFound, toKubeApiError } from './errors';

/** The plural resource names served at `group/version`; empty when the group version is not served at all. */
export async function servedResources(kc: KubeConfig, group: string, version: string): Promise<Set<string>> {
  try {
    const list = await kc.makeApiClient(CustomObjectsApi).getAPIResources({ group, version });
    return new Set(list.resources.map((r) => r.name));
  } catch (e) {
    if (isNotFound(e)) return new Set();
    throw toKubeApiError(e, `discover ${group}/${version}`);
  }
}

/** Of these resources, the ones the server does not serve (one discovery request per group version). */
export async function unservedResources<T extends { group: string; version: string; plural: string }>(
  kc: KubeConfig,
  wanted: readonly T[],
): Promise<T[]> {
  const byGroupVersion = new Map<string, Promise<Set<string>>>();
  const served = (w: T) => {
    const key = `${w.group}/${w.version}`;
    let p = byGroupVersion.get(key);
    if (!p) byGroupVersion.set(key, (p = servedResources(kc, w.group, w.version)));
    return p;
  };
  const answers = await Promise.all(wanted.map(async (w) => ((await served(w)).has(w.plural) ? undefined : w)));
  return answers.filter((w): w is Awaited<T> => w !== undefined) as T[];
}
