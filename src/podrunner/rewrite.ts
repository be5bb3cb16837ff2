// The few changes the runner makes to what was rendered, so a container can run as a host process:
// volume mount paths become the host directories that hold the volume, and addresses that mean "this
// pod" inside a container (0.0.0.0, 127.0.0.1, localhost:<port>, a bare :<port>) become the pod's own loopback address,
// so two pods that both listen on :2379 don't clash. Every change is reported for the log.

export interface MountMapping {
  /** Path inside the container. */
  mountPath: string;
  /** Directory or file on the host that holds it. */
  hostPath: string;
}

export interface RewriteContext {
  mounts: readonly MountMapping[];
  podIP: string;
}

export interface RewriteResult {
  value: string;
  /** Human-readable descriptions of what changed (empty when nothing did). */
  changes: string[];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// A path starts after a flag's `=`, a list separator, a quote or whitespace, and ends at a path
// separator or the same kind of delimiter: `--data-dir=/var/lib/etcd/member` matches `/var/lib/etcd`,
// `/var/lib/etcd2` does not.
function mountPattern(mounts: readonly MountMapping[]): RegExp | undefined {
  const paths = mounts
    .map((m) => m.mountPath.replace(/\/+$/, ''))
    .filter((p) => p.length > 1)
    .sort((a, b) => b.length - a.length);
  if (!paths.length) return undefined;
  return new RegExp(`(^|[=,:;"'\\s(])(${paths.map(escapeRe).join('|')})(?=$|[/,:;"'\\s)])`, 'g');
}

// 0.0.0.0 and 127.0.0.1 as whole addresses (not part of 10.0.0.0, not a CIDR like 0.0.0.0/0);
// localhost only with a port, where it is clearly an address to listen on or dial.
const ADDRESS = /(?<![\w.])(0\.0\.0\.0|127\.0\.0\.1|localhost(?=:\d))(?![\w.]|\/\d)/g;

// A bind address with no host (`--metrics-bind-address=:8443`, Go's and controller-runtime's "every interface"):
// in a pod that is the pod's own address; on the host two replicas would both take the port.
const ANY_HOST_PORT = /(^|=):(\d{1,5})$/;

export function rewriteValue(input: string, ctx: RewriteContext): RewriteResult {
  const changes: string[] = [];
  let value = input;
  const pattern = mountPattern(ctx.mounts);
  if (pattern) {
    const byPath = new Map(ctx.mounts.map((m) => [m.mountPath.replace(/\/+$/, ''), m.hostPath]));
    value = value.replace(pattern, (_all, lead: string, p: string) => {
      changes.push(`mount path ${p} → ${byPath.get(p)}`);
      return lead + byPath.get(p);
    });
  }
  value = value.replace(ADDRESS, (addr: string) => {
    changes.push(`address ${addr} → ${ctx.podIP}`);
    return ctx.podIP;
  });
  value = value.replace(ANY_HOST_PORT, (_all, lead: string, port: string) => {
    changes.push(`address :${port} → ${ctx.podIP}:${port}`);
    return `${lead}${ctx.podIP}:${port}`;
  });
  return { value, changes };
}

/** Host and port of a probe: an unset host or the pod's loopback means the pod IP, as the kubelet does. */
export function probeHost(host: string | undefined, podIP: string): string {
  if (!host || host === '127.0.0.1' || host === 'localhost' || host === '0.0.0.0') return podIP;
  return host;
}
