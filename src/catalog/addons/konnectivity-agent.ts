// konnectivity-agent as an Addon: one agent per node (host network), dialing the konnectivity-server sidecar of the
// cluster's kube-apiserver in the meta cluster, so the API server's `cluster` egress (pods/proxy, services/proxy,
// webhooks, aggregated APIs, kubelets) reaches the business networks through the agents' tunnels. A cluster with
// `spec.apiServer.egress: Konnectivity` gets it without listing it (src/operators/cluster/render/konnectivity.ts);
// `{{ .cluster.konnectivityServerHost }}`/`Port` are defined only for such a cluster.
// The server authenticates agents by a token of their ServiceAccount with audience system:konnectivity-server (its
// own TokenReview); agents verify the server with the cluster CA from their service-account volume. No RBAC needed.
import { shippedAddon } from './define';

const manifests = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: konnectivity-agent
  namespace: kube-system
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: konnectivity-agent
  namespace: kube-system
  labels:
    k8s-app: konnectivity-agent
spec:
  selector:
    matchLabels:
      k8s-app: konnectivity-agent
  template:
    metadata:
      labels:
        k8s-app: konnectivity-agent
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: konnectivity-agent
      hostNetwork: true
      tolerations:
      - operator: Exists
      containers:
      - name: konnectivity-agent
        image: {{ .params.image }}
        command:
        - /proxy-agent
        - --ca-cert=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt
        - --proxy-server-host={{ .cluster.konnectivityServerHost }}
        - --proxy-server-port={{ .cluster.konnectivityServerPort }}
        - --service-account-token-path=/var/run/secrets/tokens/konnectivity-agent-token
        - --agent-identifiers=ipv4=$(HOST_IP)
        - --health-server-port={{ .params.healthPort }}
        - --admin-server-port={{ .params.adminPort }}
        env:
        - name: HOST_IP
          valueFrom:
            fieldRef:
              fieldPath: status.hostIP
        livenessProbe:
          httpGet:
            path: /healthz
            port: {{ .params.healthPort }}
          periodSeconds: 10
          timeoutSeconds: 5
        volumeMounts:
        - name: konnectivity-agent-token
          mountPath: /var/run/secrets/tokens
          readOnly: true
      volumes:
      - name: konnectivity-agent-token
        projected:
          sources:
          - serviceAccountToken:
              path: konnectivity-agent-token
              audience: system:konnectivity-server
              expirationSeconds: 3600
`;

export const konnectivityAgentAddon = shippedAddon('konnectivity-agent', {
  version: '0.33.0',
  description:
    'konnectivity-agent on every node: the tunnels a business API server with spec.apiServer.egress Konnectivity ' +
    'reaches pods, Services and nodes through (sigs.k8s.io/apiserver-network-proxy v0.33.0).',
  parameters: [
    {
      name: 'image',
      type: 'string',
      default: 'registry.k8s.io/kas-network-proxy/proxy-agent:v0.33.0',
      required: false,
      description: 'The proxy-agent image (built by hack/offline-images/build-images.sh --konnectivity).',
    },
    // Host network: upstream's defaults (8093, 8094) unless a node already uses them.
    { name: 'healthPort', type: 'integer', default: 8093, required: false, description: "The agent's /healthz port on the node." },
    { name: 'adminPort', type: 'integer', default: 8094, required: false, description: "The agent's admin port (node loopback)." },
  ],
  manifests,
});
