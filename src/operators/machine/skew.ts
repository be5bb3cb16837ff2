// Version skew between a node's kubelet and its control plane (Kubernetes' policy since 1.28): the kubelet
// is never newer than the API server and at most three minor versions older. Pure.

export type SkewVerdict = { ok: true } | { ok: false; reason: 'VersionSkew' | 'ControlPlaneVersionUnknown'; message: string };

export const MAX_KUBELET_MINORS_BEHIND = 3;

function parse(v: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/**
 * Whether a kubelet at `kubelet` may run against a control plane at `controlPlane`. A machine without a
 * kubelet component (or a version that is not semver, e.g. `kwok`) is not subject to the policy.
 */
export function checkKubeletSkew(kubelet: string | undefined, controlPlane: string | undefined): SkewVerdict {
  const k = kubelet ? parse(kubelet) : undefined;
  if (!k) return { ok: true };
  const cp = controlPlane ? parse(controlPlane) : undefined;
  if (!cp) {
    return {
      ok: false,
      reason: 'ControlPlaneVersionUnknown',
      message: `kubelet ${kubelet} waits for the control plane to report its version (BusinessCluster status.version)`,
    };
  }
  const newer = k[0] !== cp[0] ? k[0] > cp[0] : k[1] !== cp[1] ? k[1] > cp[1] : k[2] > cp[2];
  if (newer) {
    return {
      ok: false,
      reason: 'VersionSkew',
      message:
        `kubelet ${kubelet} would be newer than the control plane ${controlPlane}; ` + `waiting for the control plane to be upgraded first`,
    };
  }
  if (k[0] !== cp[0] || cp[1] - k[1] > MAX_KUBELET_MINORS_BEHIND) {
    return {
      ok: false,
      reason: 'VersionSkew',
      message:
        `kubelet ${kubelet} is more than ${MAX_KUBELET_MINORS_BEHIND} minor versions older than the control plane ${controlPlane}; ` +
        `upgrade the machine's kubelet component`,
    };
  }
  return { ok: true };
}
