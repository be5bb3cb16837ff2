// Pause, resume and retry a FleetRollout: the one implementation behind `kokpit rollout pause|resume|retry` and
// the Fleet view's actions. pause/resume set spec.paused and retry sets the kokpit.dev/retry annotation to a new
// value, by JSON merge patch under the caller's field manager, so the operator's status and the rest of the spec
// are left alone (the operator acts on the change in its next pass).
import { PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, RETRY_ANNOTATION } from '../api';
import { makeObjectApi, toKubeApiError } from '../kube';

export const ROLLOUT_VERBS = ['pause', 'resume', 'retry'] as const;
export type RolloutVerb = (typeof ROLLOUT_VERBS)[number];

/** The merge patch of one verb: only the field it changes. */
export function rolloutControlPatch(verb: RolloutVerb, now: Date): Record<string, unknown> {
  if (verb === 'retry') return { metadata: { annotations: { [RETRY_ANNOTATION]: now.toISOString() } } };
  return { spec: { paused: verb === 'pause' } };
}

/** What was done, in the words the CLI prints and the editor shows. */
export function rolloutControlMessage(name: string, verb: RolloutVerb): string {
  switch (verb) {
    case 'pause':
      return `FleetRollout ${name} paused: no new cluster starts (clusters upgrading now finish)`;
    case 'resume':
      return `FleetRollout ${name} resumed`;
    case 'retry':
      return `FleetRollout ${name}: skipped and failed clusters are back in line`;
  }
}

/** Sends the verb's patch to FleetRollout `name`; returns the message. Errors name the rollout and the server's answer. */
export async function controlRollout(
  kc: KubeConfig,
  name: string,
  verb: RolloutVerb,
  fieldManager: string,
  now = new Date(),
): Promise<string> {
  const body = rolloutControlPatch(verb, now);
  const metadata = { ...((body.metadata as object | undefined) ?? {}), name };
  try {
    await makeObjectApi(kc).patch(
      { apiVersion: API_VERSION, kind: 'FleetRollout', ...body, metadata } as KubernetesObject,
      undefined,
      undefined,
      fieldManager,
      undefined,
      PatchStrategy.MergePatch,
    );
  } catch (e) {
    throw toKubeApiError(e, `FleetRollout ${name}`);
  }
  return rolloutControlMessage(name, verb);
}
