// Component, Machine and MachineSet: on-host software, nodes, and phased rollouts over nodes.
import { type Static } from '@sinclair/typebox';
import { Type } from './typebox';
import { Conditions, DNS1123_LABEL, DURATION, ObjectReference } from './common';
import { FreeForm, ListMap, StringEnum, StringMap, Struct } from './schema-helpers';

export const PROVIDERS = ['kind', 'kwok'] as const;

const Step = (what: string) =>
  Struct(
    {
      script: Type.String({
        description:
          `Shell script that ${what}. ` + `\`{{ .version }}\`, \`{{ .machine.* }}\` and \`{{ .cluster.* }}\` are replaced before it runs.`,
      }),
      timeoutSeconds: Type.Integer({ minimum: 1, maximum: 86400, default: 300, description: 'The step fails when it runs longer.' }),
    },
    { description: `Script that ${what}.` },
  );

export const ComponentSpec = Struct(
  {
    version: Type.String({ description: 'Default version installed when a Machine names none.' }),
    description: Type.Optional(Type.String()),
    dependsOn: Type.Optional(Type.Array(Type.String({ pattern: DNS1123_LABEL }), { description: 'Components installed before this one.' })),
    steps: Struct(
      {
        install: Step('installs the component'),
        upgrade: Type.Optional(Step('moves an installed component to another version (install is re-run when unset)')),
        health: Type.Optional(Step('exits 0 when the component is healthy; run periodically')),
        repair: Type.Optional(Step('tries to bring an unhealthy component back')),
        uninstall: Type.Optional(Step('removes the component')),
      },
      { description: 'Lifecycle scripts, run on the node.' },
    ),
    providers: Type.Optional(
      Type.Array(StringEnum(PROVIDERS), { description: 'Machine providers this component supports; all when unset.' }),
    ),
  },
  { description: 'Software installed on a node, with its lifecycle steps.' },
);

export const Taint = Struct({
  key: Type.String(),
  value: Type.Optional(Type.String()),
  effect: StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const),
});

export const ComponentRef = Struct({
  name: Type.String({ pattern: DNS1123_LABEL, description: 'Name of a `Component` definition, e.g. `kubelet`.' }),
  version: Type.Optional(Type.String({ description: "Version to run; the component's default when unset." })),
});

export const MachineSpec = Struct(
  {
    clusterRef: ObjectReference,
    provider: StringEnum(PROVIDERS, {
      default: 'kwok',
      description: '`kind`: a container of the kind node image joined with kubeadm; `kwok`: a simulated node.',
    }),
    role: Type.String({ pattern: DNS1123_LABEL, default: 'worker', description: 'Node role label (`node-role.kubernetes.io/<role>`).' }),
    components: Type.Optional(
      ListMap(ComponentRef, 'name', { description: 'On-host software this node runs, installed in dependency order.' }),
    ),
    labels: Type.Optional(StringMap({ description: 'Labels put on the Node.' })),
    taints: Type.Optional(Type.Array(Taint, { description: 'Taints put on the Node.' })),
  },
  { description: 'Desired state of one node.' },
);

export const MachineStatus = Struct({
  phase: Type.Optional(StringEnum(['Pending', 'Provisioning', 'Joining', 'Running', 'Repairing', 'Failed', 'Deleting'] as const)),
  nodeName: Type.Optional(Type.String()),
  providerID: Type.Optional(Type.String()),
  kubeletVersion: Type.Optional(Type.String()),
  components: Type.Optional(
    ListMap(
      Struct({
        name: Type.String(),
        version: Type.Optional(Type.String()),
        healthy: Type.Optional(Type.Boolean()),
        message: Type.Optional(Type.String()),
      }),
      'name',
    ),
  ),
  conditions: Type.Optional(Conditions),
  observedGeneration: Type.Optional(Type.Integer()),
});

export const RolloutPhase = Struct({
  percent: Type.Integer({
    minimum: 1,
    maximum: 100,
    description: 'Cumulative share of machines updated by the end of this phase (the last phase is usually 100).',
  }),
  pause: Type.Optional(
    Type.String({ pattern: DURATION, description: 'Wait this long after the phase is healthy before the next, e.g. `10m`.' }),
  ),
});

export const MachineSetSpec = Struct(
  {
    clusterRef: ObjectReference,
    replicas: Type.Integer({ minimum: 0, default: 1, description: 'Number of machines.' }),
    template: Struct(
      {
        metadata: Type.Optional(Struct({ labels: Type.Optional(StringMap()), annotations: Type.Optional(StringMap()) })),
        spec: Struct(
          {
            provider: MachineSpec.properties.provider,
            role: MachineSpec.properties.role,
            components: MachineSpec.properties.components,
            labels: MachineSpec.properties.labels,
            taints: MachineSpec.properties.taints,
          },
          { description: 'Machine spec of every machine in the set (the cluster comes from the set).' },
        ),
      },
      { description: 'Template of the machines.' },
    ),
    rollout: Type.Optional(
      Struct(
        {
          maxUnavailable: Type.Integer({ minimum: 1, default: 1, description: 'Machines updated at the same time.' }),
          phases: Type.Optional(
            Type.Array(RolloutPhase, {
              description:
                'Phases of a template change, e.g. `[{percent: 5}, {percent: 50}, {percent: 100}]`; each must pass its health gate.',
            }),
          ),
        },
        { description: 'How template changes roll out.' },
      ),
    ),
  },
  { description: 'A group of identical machines, updated in phases.' },
);

export const MachineSetStatus = Struct({
  replicas: Type.Optional(Type.Integer()),
  readyReplicas: Type.Optional(Type.Integer()),
  updatedReplicas: Type.Optional(Type.Integer()),
  currentPhase: Type.Optional(Type.Integer({ description: 'Index of the rollout phase in progress.' })),
  templateHash: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  conditions: Type.Optional(Conditions),
  observedGeneration: Type.Optional(Type.Integer()),
});

export const ComponentStatus = FreeForm();
export type ComponentSpec = Static<typeof ComponentSpec>;
export type MachineSpec = Static<typeof MachineSpec>;
export type MachineStatus = Static<typeof MachineStatus>;
export type MachineSetSpec = Static<typeof MachineSetSpec>;
export type MachineSetStatus = Static<typeof MachineSetStatus>;
