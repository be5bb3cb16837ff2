// FleetRollout: move many BusinessClusters to one target version, wave by wave, with a soak after each
// cluster and a failure budget (KubeFleet's staged update runs and OCM's progressive rollouts are the models).
import { type Static } from '@sinclair/typebox';
import { Type } from './typebox';
import { Conditions, DNS1123_LABEL, DURATION, KUBERNETES_VERSION } from './common';
import { StringEnum, StringMap, Struct, withCel } from './schema-helpers';

/** The label a BusinessCluster sets to pin itself to a wave (by the wave's name). */
export const WAVE_LABEL = 'kokpit.dev/wave';
/** Annotation on a FleetRollout: a new value puts its Skipped and Failed clusters back in line (`kokpit rollout retry`). */
export const RETRY_ANNOTATION = 'kokpit.dev/retry';
/** A count (`3`) or a percent of the selected clusters (`25%`). */
export const PERCENT = '^[0-9]+%$';

/** A count or a percent; `x-kubernetes-int-or-string` is how a CRD says "either" (as Deployments' maxSurge). */
function IntOrPercent(description: string, dflt?: number | string) {
  return Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    description,
    ...(dflt !== undefined ? { default: dflt } : {}),
  });
}

export const RolloutTarget = withCel(
  Struct(
    {
      kubernetesVersion: Type.Optional(
        Type.String({
          pattern: KUBERNETES_VERSION,
          description: 'Move every selected cluster to this Kubernetes version (in the catalog; one minor at a time, as `kokpit upgrade`).',
        }),
      ),
      addon: Type.Optional(
        Struct(
          {
            name: Type.String({ pattern: DNS1123_LABEL, description: 'Addon name, e.g. `coredns`.' }),
            version: Type.String({ description: 'Addon version to pin.' }),
          },
          {
            description:
              "Move the clusters' pin of one addon (`spec.addons[].version`) to this version, which an `Addon` of that name must offer. " +
              'Only clusters that list the addon in `spec.addons` are targets; a cluster is done when its status reports the addon ' +
              'ready at this version.',
          },
        ),
      ),
    },
    { description: 'What the rollout moves the clusters to: exactly one of `kubernetesVersion` or `addon`.' },
  ),
  [{ rule: 'has(self.kubernetesVersion) != has(self.addon)', message: 'set exactly one of target.kubernetesVersion or target.addon' }],
);

export const LabelSelectorRequirement = Struct({
  key: Type.String(),
  operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const),
  values: Type.Optional(Type.Array(Type.String())),
});

export const RolloutClusters = Struct(
  {
    selector: Struct(
      {
        matchLabels: Type.Optional(StringMap({ description: 'Labels a BusinessCluster must carry.' })),
        matchExpressions: Type.Optional(
          Type.Array(LabelSelectorRequirement, { description: "Set-based requirements, as in a Deployment's selector." }),
        ),
      },
      { description: 'Label selector over BusinessClusters; an empty selector is refused (say what you mean to upgrade).' },
    ),
    namespaces: Type.Optional(
      Type.Array(Type.String({ pattern: DNS1123_LABEL }), { description: 'Only these namespaces; all when unset.' }),
    ),
  },
  { description: 'Which BusinessClusters the rollout moves. Clusters that start matching while it runs join the last wave.' },
);

export const RolloutWave = Struct({
  name: Type.String({
    pattern: DNS1123_LABEL,
    description: 'Wave name; a cluster labelled `kokpit.dev/wave: <name>` is put in this wave.',
  }),
  clusters: IntOrPercent(
    'Cumulative size: the clusters upgraded by the end of this wave, a count (`1`) or a percent of all selected (`25%`). ' +
      'The last wave must be `100%`.',
  ),
  maxConcurrency: Type.Integer({ minimum: 1, default: 1, description: 'Clusters of this wave upgraded at the same time.' }),
  soak: Type.String({
    pattern: DURATION,
    default: '0s',
    description: 'How long each cluster must stay Ready at the target before it counts as done, e.g. `10m`.',
  }),
});

export const FleetRolloutSpec = Struct(
  {
    target: RolloutTarget,
    clusters: RolloutClusters,
    waves: Type.Array(RolloutWave, {
      minItems: 1,
      description: 'Waves in order; a wave starts when every cluster of the one before is done, failed or skipped.',
    }),
    maxFailures: IntOrPercent(
      'Failed clusters tolerated (count or percent of all selected); past it no new cluster starts and the rollout fails.',
      0,
    ),
    progressDeadline: Type.String({
      pattern: DURATION,
      default: '30m',
      description: 'How long one cluster may take to reach Ready at the target before it counts as failed (never infinite).',
    }),
    notReadyGrace: Type.Optional(
      Type.String({
        pattern: DURATION,
        default: '2m',
        description:
          'How long a cluster that is not Ready when its turn comes is waited for before it is skipped; `0s` skips it at once. ' +
          'The wait is shown on its row and it holds no concurrency slot (other clusters of the wave start meanwhile).',
      }),
    ),
    paused: Type.Boolean({ default: false, description: 'Start no new cluster (clusters already upgrading finish).' }),
    ignoreWindows: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Start clusters outside their maintenance windows (BusinessCluster spec.maintenance.windows), e.g. for a CVE.',
      }),
    ),
    includeMachines: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          "With a `kubernetesVersion` target: once a cluster's control plane is Ready at the target, the `kubelet` component of its " +
          'MachineSets is set to it too, and the cluster counts as done (and soaks) only when every MachineSet reports all its ' +
          'machines updated. MachineSets without a `kubelet` component are left alone.',
      }),
    ),
  },
  { description: 'Which clusters move to what, in which waves, and how many failures are tolerated.' },
);

export const ROLLOUT_PHASES = ['Pending', 'Progressing', 'Paused', 'WaitingForWindow', 'Succeeded', 'Failed'] as const;
export const ROLLOUT_CLUSTER_STATES = ['Pending', 'Upgrading', 'Soaking', 'Succeeded', 'Failed', 'Skipped'] as const;
export type RolloutClusterState = (typeof ROLLOUT_CLUSTER_STATES)[number];

export const RolloutClusterStatus = Struct({
  namespace: Type.String(),
  name: Type.String(),
  wave: Type.String({ description: 'The wave the cluster was assigned to (kept once written).' }),
  state: StringEnum(ROLLOUT_CLUSTER_STATES),
  from: Type.Optional(Type.String({ description: 'Version the cluster ran when it started.' })),
  to: Type.Optional(Type.String({ description: 'Version it is moved to.' })),
  startedAt: Type.Optional(Type.String({ format: 'date-time' })),
  readySince: Type.Optional(
    Type.String({ format: 'date-time', description: 'When it was first seen Ready at the target (the soak counts from here).' }),
  ),
  waitingSince: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'When the row was first seen not Ready at its turn (spec.notReadyGrace counts from here); unset once it moves on.',
    }),
  ),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  message: Type.Optional(Type.String()),
});

export const FleetRolloutStatus = Struct({
  phase: Type.Optional(StringEnum(ROLLOUT_PHASES)),
  currentWave: Type.Optional(Type.String({ description: 'The wave clusters are being started from.' })),
  nextWindow: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'When the next maintenance window of a cluster waiting in the current wave opens (phase WaitingForWindow).',
    }),
  ),
  counts: Type.Optional(
    Struct({
      total: Type.Integer(),
      pending: Type.Integer(),
      upgrading: Type.Integer(),
      soaking: Type.Integer(),
      succeeded: Type.Integer(),
      failed: Type.Integer(),
      skipped: Type.Integer(),
    }),
  ),
  clusters: Type.Optional(Type.Array(RolloutClusterStatus, { description: 'One row per cluster, in wave order.' })),
  lastFailure: Type.Optional(
    Struct({
      cluster: Type.String(),
      reason: Type.String(),
      message: Type.Optional(Type.String()),
      time: Type.Optional(Type.String({ format: 'date-time' })),
    }),
  ),
  lastRetry: Type.Optional(Type.String({ description: 'The `kokpit.dev/retry` annotation value last acted on.' })),
  conditions: Type.Optional(Conditions),
  observedGeneration: Type.Optional(Type.Integer()),
});

export type FleetRolloutSpec = Static<typeof FleetRolloutSpec>;
export type FleetRolloutStatus = Static<typeof FleetRolloutStatus>;
export type RolloutClusterStatus = Static<typeof RolloutClusterStatus>;
export type RolloutWave = Static<typeof RolloutWave>;
