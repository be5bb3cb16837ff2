// What an API request writes, read from its method and URL path the way the API server's request info
// resolver does (k8s.io/apiserver/pkg/endpoints/request): /api/v1/… and /apis/GROUP/VERSION/…, optionally
// namespaced, a resource, a name, a subresource. Used to count the manager's writes by resource and verb.

export interface WriteRequest {
  /** create, update, patch, delete, deletecollection: the audit log's verbs. */
  verb: string;
  group: string;
  /** The plural resource (`businessclusters`). */
  resource: string;
  subresource: string;
}

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The write a request makes, or undefined for reads (GET, watches) and non-resource paths. */
export function writeRequest(method: string, path: string): WriteRequest | undefined {
  let verb = VERBS[method.toUpperCase()];
  if (!verb) return undefined;
  const parts = path.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, rest] = [parts[1], parts.slice(3)];
  else return undefined;
  // `namespaces/NS/RESOURCE…`, except a Namespace itself (`namespaces/NS` or `namespaces/NS/status|finalize`).
  if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2] ?? '')) rest = rest.slice(2);
  const [resource, name, subresource = ''] = rest;
  if (!resource) return undefined;
  if (verb === 'delete' && !name) verb = 'deletecollection';
  return { verb, group, resource, subresource };
}
