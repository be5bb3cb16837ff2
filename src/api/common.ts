// Building blocks shared by several kinds.
import { type Static } from '@sinclair/typebox';
import { Type } from './typebox';
import { ListMap, StringEnum, StringMap, Struct } from './schema-helpers';

export const GROUP = 'kokpit.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** DNS-1123 label: what Kubernetes requires of names that become Services, labels and hostnames. */
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** DNS-1123 subdomain: object names such as `v1.32.13`. */
export const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A DNS name for a certificate (optionally a `*.` wildcard) or an IP address (IPv4 matches the name part; IPv6 has
 *  a colon), as kubeadm's certSANs take them. */
export const DNS_NAME_OR_IP = '^((\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|[0-9a-fA-F.]*:[0-9a-fA-F:.]*)$';
/** A Kubernetes resource quantity such as `1Gi`, `500m` or `2`. */
export const QUANTITY = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$';
/** Kubernetes release versions are written with a leading `v`. */
export const KUBERNETES_VERSION = '^v[0-9]+\\.[0-9]+\\.[0-9]+$';
/** etcd versions from 3.5.0 on, with or without a leading `v`. */
export const ETCD_VERSION = '^v?3\\.([5-9]|[1-9][0-9])\\.[0-9]+$';
/** A Go-style duration such as `30s`, `5m` or `1h30m`. */
export const DURATION = '^([0-9]+(ms|s|m|h))+$';
/** Five-field cron, or one of the `@hourly`-style macros. */
export const CRON = '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\\S+\\s+){4}\\S+)$';

export const ObjectReference = Struct(
  { name: Type.String({ pattern: DNS1123_LABEL, maxLength: 63, description: 'Name of the referenced object in the same namespace.' }) },
  { description: 'A reference to another object by name.' },
);

export const ExtraArgs = StringMap({
  description: 'Extra command-line flags, written without leading dashes: `{"v": "2"}` becomes `--v=2`.',
});

export const Resources = Struct(
  {
    requests: Type.Optional(StringMap({ description: 'Minimum resources, e.g. `{cpu: 100m, memory: 256Mi}`.' })),
    limits: Type.Optional(StringMap({ description: 'Maximum resources, e.g. `{memory: 1Gi}`.' })),
  },
  { description: 'Compute resources for the pods this object creates.' },
);

export const Condition = Struct(
  {
    type: Type.String({ description: 'CamelCase condition type, e.g. `Available`.' }),
    status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'Whether the condition holds.' }),
    observedGeneration: Type.Optional(
      Type.Integer({ minimum: 0, description: 'The `.metadata.generation` this condition was computed from.' }),
    ),
    lastTransitionTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the status last changed.' })),
    reason: Type.Optional(Type.String({ description: 'CamelCase machine-readable reason.' })),
    message: Type.Optional(Type.String({ description: 'Human-readable details, including how to fix a failure.' })),
  },
  { description: 'A standard Kubernetes condition.' },
);
export type Condition = Static<typeof Condition>;

export const Conditions = ListMap(Condition, 'type', { description: "The latest observations of the object's state." });

/** The subset of ObjectMeta a user writes in a manifest. Only the editor schema uses it: CRDs leave metadata to the apiserver. */
export const ObjectMeta = Struct(
  {
    name: Type.Optional(Type.String({ description: 'Object name, unique within its namespace (or cluster, for cluster-scoped kinds).' })),
    generateName: Type.Optional(Type.String({ description: 'Prefix for a server-generated name.' })),
    namespace: Type.Optional(Type.String({ pattern: DNS1123_LABEL, maxLength: 63, description: 'Namespace of a namespaced object.' })),
    labels: Type.Optional(StringMap({ description: 'Key/value labels for selection.' })),
    annotations: Type.Optional(StringMap({ description: 'Key/value annotations, e.g. `kokpit.dev/rotate-certificates`.' })),
    finalizers: Type.Optional(Type.Array(Type.String(), { description: 'Finalizers that block deletion until cleanup has run.' })),
    ownerReferences: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Owners of this object.' })),
    uid: Type.Optional(Type.String({ description: 'Set by the server.' })),
    resourceVersion: Type.Optional(Type.String({ description: 'Set by the server.' })),
    generation: Type.Optional(Type.Integer({ description: 'Set by the server.' })),
    creationTimestamp: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Set by the server.' })),
    deletionTimestamp: Type.Optional(Type.String({ description: 'Set by the server.' })),
    deletionGracePeriodSeconds: Type.Optional(Type.Integer({ description: 'Set by the server.' })),
    managedFields: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Set by the server.' })),
    selfLink: Type.Optional(Type.String({ description: 'Deprecated; set by the server.' })),
  },
  { description: 'Standard object metadata.' },
);
