// etcd versions: parsing, ordering, the image a version runs from, and which version changes are allowed.
import { compareVersions as compareReleases } from '../../kit';

export interface EtcdVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(v: string): EtcdVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** `3.5.35` (no leading v): the form etcd itself reports and the form kokpit stores. */
export function normalizeVersion(v: string): string {
  const p = parseVersion(v);
  return p ? `${p.major}.${p.minor}.${p.patch}` : v;
}

/** Orders two etcd releases (the kit's comparison); throws on anything that is not a plain release. */
export function compareVersions(a: string, b: string): number {
  if (!parseVersion(a) || !parseVersion(b)) throw new Error(`cannot compare etcd versions '${a}' and '${b}'`);
  return compareReleases(a, b);
}

export const ETCD_IMAGE_REPOSITORY = 'registry.k8s.io/etcd';

/** The upstream image of a version, as Kubernetes tags it (`registry.k8s.io/etcd:3.5.35-0`). */
export function etcdImage(version: string): string {
  return `${ETCD_IMAGE_REPOSITORY}:${normalizeVersion(version)}-0`;
}

/** The etcd version an image runs, or undefined for an image kokpit did not render. */
export function versionOfImage(image: string | undefined): string | undefined {
  if (!image?.startsWith(`${ETCD_IMAGE_REPOSITORY}:`)) return undefined;
  const m = /^v?(\d+\.\d+\.\d+)(-\d+)?$/.exec(image.slice(ETCD_IMAGE_REPOSITORY.length + 1));
  return m ? m[1] : undefined;
}

export type VersionChange =
  | { kind: 'none' }
  | { kind: 'upgrade' }
  | { kind: 'refused'; reason: 'Downgrade' | 'MinorSkip' | 'MajorChange' | 'InvalidVersion'; message: string };

/**
 * Whether a cluster running `current` may move to `desired`: patches and one minor forward only.
 * etcd supports neither downgrades (without its separate downgrade protocol) nor skipping a minor.
 */
export function checkVersionChange(current: string, desired: string): VersionChange {
  const c = parseVersion(current);
  const d = parseVersion(desired);
  if (!c || !d) return { kind: 'refused', reason: 'InvalidVersion', message: `cannot read etcd version '${!c ? current : desired}'` };
  const cmp = compareVersions(current, desired);
  if (cmp === 0) return { kind: 'none' };
  if (cmp > 0) {
    return {
      kind: 'refused',
      reason: 'Downgrade',
      message:
        `spec.version ${normalizeVersion(desired)} is older than the running ${normalizeVersion(current)}; ` +
        `etcd downgrades are refused (set spec.version back to ${normalizeVersion(current)} or newer)`,
    };
  }
  if (c.major !== d.major) {
    return {
      kind: 'refused',
      reason: 'MajorChange',
      message: `cannot change etcd major version from ${normalizeVersion(current)} to ${normalizeVersion(desired)}`,
    };
  }
  if (d.minor > c.minor + 1) {
    return {
      kind: 'refused',
      reason: 'MinorSkip',
      message:
        `cannot upgrade etcd from ${normalizeVersion(current)} to ${normalizeVersion(desired)}: ` +
        `upgrade one minor at a time (first to ${c.major}.${c.minor + 1}.x)`,
    };
  }
  return { kind: 'upgrade' };
}
