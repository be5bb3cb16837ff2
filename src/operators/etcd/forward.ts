// Moved to the kit (the cluster operator reaches a shared etcd's members the same way); kept for existing imports.
export { apiServerTunnel, directTunnel, ForwardingResolver, type Tunnel, type TunnelTarget } from '../../kit/etcd-forward';
