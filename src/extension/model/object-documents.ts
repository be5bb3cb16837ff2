// Read-only views of fleet objects: the YAML as the watch last saw it, and a status summary with conditions.
// Addressed by URIs `kokpit-object:/<view>/<Kind>/<namespace or _>/<name>.yaml`, so an open view refreshes in place.
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { ObjectRef } from './fleet-connection';

export const OBJECT_SCHEME = 'kokpit-object';
export type ObjectView = 'yaml' | 'status';

/** The path part of the URI of a view of `ref`. */
export function objectViewPath(view: ObjectView, ref: ObjectRef): string {
  const name = view === 'status' ? `${ref.name}.status.yaml` : `${ref.name}.yaml`;
  return `/${view}/${ref.kind}/${ref.namespace ?? '_'}/${name}`;
}

export function parseObjectViewPath(p: string): { view: ObjectView; ref: ObjectRef } | undefined {
  const m = /^\/(yaml|status)\/([A-Za-z]+)\/([^/]+)\/([^/]+?)(\.status)?\.yaml$/.exec(p);
  if (!m) return undefined;
  return { view: m[1] as ObjectView, ref: { kind: m[2], namespace: m[3] === '_' ? undefined : m[3], name: m[4] } };
}

/** The object as YAML, without the server's bookkeeping noise (managedFields). */
export function renderObjectYaml(obj: KubernetesObject): string {
  const { managedFields: _managed, ...metadata } = obj.metadata ?? {};
  return stringify({ ...obj, metadata }, { lineWidth: 0 });
}

interface StatusLike {
  phase?: string;
  observedGeneration?: number;
  conditions?: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
    observedGeneration?: number;
  }[];
  [key: string]: unknown;
}

/** Phase, whether the controller has seen the latest spec, and every condition (failing ones first). */
export function renderObjectStatus(obj: KubernetesObject): string {
  const status = ((obj as { status?: StatusLike }).status ?? {}) as StatusLike;
  const generation = obj.metadata?.generation;
  const conditions = [...(status.conditions ?? [])].sort((a, b) => Number(a.status === 'True') - Number(b.status === 'True'));
  const { conditions: _c, phase, observedGeneration, ...rest } = status;
  const summary = {
    object: `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`,
    phase: phase ?? '(none yet)',
    observed:
      observedGeneration === undefined
        ? 'not reconciled yet'
        : observedGeneration === generation
          ? `up to date (generation ${generation})`
          : `behind: generation ${generation}, observed ${observedGeneration}`,
    conditions: conditions.map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      ...(c.lastTransitionTime ? { since: c.lastTransitionTime } : {}),
    })),
    ...(Object.keys(rest).length ? { details: rest } : {}),
  };
  return `# Status of ${summary.object} (read-only; updates live)\n${stringify(summary, { lineWidth: 0 })}`;
}
