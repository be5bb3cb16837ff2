// kokpit-cni as an Addon: the pod network of kind machines (hack/offline-images/cni). One host-network pod per
// node writes a bridge CNI config for the node's podCIDR and routes the other nodes' podCIDRs via their IPs.
// It reads Nodes from the cluster's node-facing endpoint, so it needs neither kube-proxy nor a Service.
import { shippedAddon } from './define';

const manifests = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: kokpit-cni
  namespace: kube-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: kokpit-cni
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [list, get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kokpit-cni
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kokpit-cni
subjects:
- kind: ServiceAccount
  name: kokpit-cni
  namespace: kube-system
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kokpit-cni
  namespace: kube-system
  labels:
    k8s-app: kokpit-cni
spec:
  selector:
    matchLabels:
      k8s-app: kokpit-cni
  template:
    metadata:
      labels:
        k8s-app: kokpit-cni
    spec:
      priorityClassName: system-node-critical
      serviceAccountName: kokpit-cni
      hostNetwork: true
      tolerations:
      - operator: Exists
      containers:
      - name: kokpit-cni
        image: {{ .params.image }}
        env:
        - name: NODE_NAME
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
        - name: API_SERVER
          value: {{ .cluster.endpoint }}
        securityContext:
          privileged: true
        volumeMounts:
        - name: cni-conf
          mountPath: /host/etc/cni/net.d
      volumes:
      - name: cni-conf
        hostPath:
          path: /etc/cni/net.d
          type: DirectoryOrCreate
`;

export const kokpitCNIAddon = shippedAddon('kokpit-cni', {
  version: '0.1.0',
  description: 'Pod network for kind machines: a bridge per node over its podCIDR, routes to the other nodes (hack/offline-images/cni).',
  parameters: [
    {
      name: 'image',
      type: 'string',
      default: 'kokpit.dev/kokpit-cni:v0.1.0',
      required: false,
      description: 'The kokpit-cni image (built by hack/offline-images/build-images.sh).',
    },
  ],
  manifests,
});
