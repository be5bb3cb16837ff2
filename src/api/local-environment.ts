// LocalEnvironment (`kokpit.yaml`): the local meta cluster and the business clusters to ensure in it.
// A file kind, not a CRD: `kokpit up --config` reads it.
import { type Static } from '@sinclair/typebox';
import { Type } from './typebox';
import { DNS1123_LABEL, KUBERNETES_VERSION } from './common';
import { BusinessClusterSpec } from './business-cluster';
import { StringEnum, Struct } from './schema-helpers';

export const LocalEnvironmentSpec = Struct(
  {
    metaCluster: Type.Optional(
      Struct(
        {
          name: Type.String({
            pattern: DNS1123_LABEL,
            maxLength: 40,
            default: 'kokpit',
            description: 'Name of the kind cluster or sandbox.',
          }),
          runtime: StringEnum(['Auto', 'Kind', 'Sandbox'] as const, {
            default: 'Auto',
            description: '`Auto`: kind when Docker and kind are available, else the sandbox (real control plane, simulated nodes).',
          }),
          kubernetesVersion: Type.Optional(
            Type.String({
              pattern: KUBERNETES_VERSION,
              description: 'Meta cluster version; the newest Supported catalog version when unset.',
            }),
          ),
          ports: Type.Optional(
            Struct(
              {
                start: Type.Integer({
                  minimum: 1024,
                  maximum: 65535,
                  default: 36443,
                  description: 'First host port for business cluster API servers.',
                }),
                count: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'How many host ports to reserve.' }),
              },
              { description: 'Host ports reserved at create time so business cluster APIs are reachable from the host.' },
            ),
          ),
          extraMounts: Type.Optional(
            Type.Array(Struct({ hostPath: Type.String(), containerPath: Type.String(), readOnly: Type.Optional(Type.Boolean()) }), {
              description: 'Host directories mounted into the kind node.',
            }),
          ),
          ocm: Type.Optional(
            Type.Boolean({
              default: false,
              description:
                'Install the Open Cluster Management hub and register every business cluster with it (as `kokpit up --with-ocm`).',
            }),
          ),
          podNetwork: Type.Optional(
            StringEnum(['Auto', 'Loopback', 'Netns'] as const, {
              default: 'Auto',
              description:
                'Sandbox pod addresses. `Netns`: 198.18.x.y in a network namespace kokpit creates (root), so Services get ' +
                'endpoints and webhooks work; `Loopback`: 127.0.x.y (no privileges; Services get no endpoints); `Auto`: ' +
                '`Netns` when it can run here, else `Loopback`.',
            }),
          ),
        },
        { description: 'The meta cluster.' },
      ),
    ),
    businessClusters: Type.Optional(
      Type.Array(
        Struct({
          name: Type.String({ pattern: DNS1123_LABEL, maxLength: 40 }),
          namespace: Type.Optional(Type.String({ pattern: DNS1123_LABEL, default: 'default' })),
          spec: BusinessClusterSpec,
        }),
        { description: 'Business clusters to ensure.' },
      ),
    ),
  },
  { description: 'A local Kube-on-Kube environment.' },
);
export type LocalEnvironmentSpec = Static<typeof LocalEnvironmentSpec>;
