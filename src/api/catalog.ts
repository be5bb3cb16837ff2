// The catalog: supported Kubernetes versions and addon definitions (cluster-scoped, extendable at run time).
import { type Static } from '@sinclair/typebox';
import { Type } from './typebox';
import { DNS1123_LABEL, ETCD_VERSION, KUBERNETES_VERSION } from './common';
import { AnyValue, StringEnum, Struct } from './schema-helpers';

/** An RFC 3339 date-time, `2026-06-30T00:00:00Z`: what `format: date-time` means to the API server, as a pattern the
 *  editor checks too. */
export const DATE_TIME = '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$';

export const KubernetesVersionSpec = Struct(
  {
    version: Type.String({ pattern: KUBERNETES_VERSION, description: 'The release, e.g. `v1.33.13`.' }),
    images: Struct(
      {
        kubeAPIServer: Type.String({ description: 'kube-apiserver image.' }),
        kubeControllerManager: Type.String({ description: 'kube-controller-manager image.' }),
        kubeScheduler: Type.String({ description: 'kube-scheduler image.' }),
        kubeProxy: Type.String({ description: 'kube-proxy image.' }),
        coreDNS: Type.String({ description: 'CoreDNS image.' }),
        pause: Type.String({ description: 'Pod sandbox (pause) image.' }),
      },
      { description: 'Control-plane and addon images of this release.' },
    ),
    nodeImage: Type.Optional(Type.String({ description: 'kind node image for machines and local meta clusters of this release.' })),
    etcd: Struct(
      {
        minVersion: Type.String({ pattern: ETCD_VERSION, description: 'Oldest etcd this release supports.' }),
        recommendedVersion: Type.String({ pattern: ETCD_VERSION, description: 'etcd version used for managed etcd when none is given.' }),
      },
      { description: 'etcd compatibility.' },
    ),
    state: StringEnum(['Preview', 'Supported', 'Deprecated', 'Unsupported'] as const, {
      default: 'Supported',
      description:
        'Clusters can be created at or upgraded to Supported and Preview versions only. Clusters already on a Deprecated ' +
        'version keep being reconciled (CatalogValid says it is deprecated); clusters on an Unsupported one are moved off ' +
        'inside their maintenance windows.',
    }),
    expires: Type.Optional(
      Type.String({
        format: 'date-time',
        pattern: DATE_TIME,
        description:
          'End of life: from this instant clusters on this version are moved off at once, even outside their maintenance ' +
          'windows (to the newest Supported, unexpired patch of the minor, else of the next minor); never a maintenance target.',
      }),
    ),
  },
  { description: 'A Kubernetes release in the version catalog.' },
);

export const AddonParameter = Struct({
  name: Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9_]*$', description: 'Parameter name, used as `{{ .params.<name> }}` in manifests.' }),
  type: StringEnum(['string', 'integer', 'number', 'boolean', 'ip', 'cidr'] as const, {
    default: 'string',
    description: 'Value type, checked before rendering.',
  }),
  default: Type.Optional(AnyValue({ description: 'Value used when the cluster gives none.' })),
  required: Type.Optional(Type.Boolean({ default: false, description: 'A cluster must give a value.' })),
  description: Type.Optional(Type.String()),
});

export const AddonSpec = Struct(
  {
    name: Type.Optional(
      Type.String({
        pattern: DNS1123_LABEL,
        description:
          'The addon this definition is one version of, e.g. `coredns` for an Addon named `coredns-1.12.1`; ' +
          '`metadata.name` when unset. Several Addons with one name and different versions coexist.',
      }),
    ),
    version: Type.String({ description: 'Addon version, e.g. `1.11.3`.' }),
    default: Type.Optional(
      Type.Boolean({
        description:
          'The version clusters get when `spec.addons[].version` is unset. Without a marker: the Addon named ' +
          'after the addon itself, else the only version.',
      }),
    ),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(Type.Array(AddonParameter, { description: 'Parameters the manifests take.' })),
    manifests: Type.String({
      description:
        'Multi-document YAML template; `{{ .cluster.* }}`, `{{ .images.* }}` and `{{ .params.* }}` are replaced with cluster facts, ' +
        'catalog images and parameters.',
    }),
  },
  { description: 'An addon that business clusters can enable by name.' },
);

export const AddonStatus = Struct({ observedGeneration: Type.Optional(Type.Integer()), message: Type.Optional(Type.String()) });
export const KubernetesVersionStatus = Struct({
  observedGeneration: Type.Optional(Type.Integer()),
  clusters: Type.Optional(Type.Integer({ description: 'Business clusters on this version.' })),
});

export const ADDON_NAME = DNS1123_LABEL;
export type KubernetesVersionSpec = Static<typeof KubernetesVersionSpec>;
export type AddonSpec = Static<typeof AddonSpec>;
export type AddonParameter = Static<typeof AddonParameter>;
