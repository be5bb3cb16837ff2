// Version parsing and ordering for every kokpit version string (Kubernetes `v1.33.13`, etcd `3.5.35`,
// kind `v0.30.0`), on the ecosystem's semver library instead of one hand-written comparison per operator.
import semver from 'semver';

/** `[major, minor, patch]` of a plain release (`v1.33.13` or `1.33.13`); undefined for anything else. */
export function parseVersion(v: string): [number, number, number] | undefined {
  if (!/^v?\d+\.\d+\.\d+$/.test(v.trim())) return undefined;
  const p = semver.parse(v.trim().replace(/^v/, ''));
  return p ? [p.major, p.minor, p.patch] : undefined;
}

/**
 * Orders two versions (negative, zero, positive). Lenient: a `v` prefix, a build or image suffix
 * (`3.5.35-0`, `v0.30.0-alpha`) and missing parts are read as semver.coerce reads them; unreadable is 0.0.0.
 */
export function compareVersions(a: string, b: string): number {
  const x = semver.coerce(a) ?? new semver.SemVer('0.0.0');
  const y = semver.coerce(b) ?? new semver.SemVer('0.0.0');
  return semver.compare(x, y);
}

/** `v1.33` of `v1.33.13`. */
export function minorOf(v: string): string {
  const p = parseVersion(v);
  return p ? `v${p[0]}.${p[1]}` : v;
}
