// Pod volumes as files on the host, under the pod's directory:
//   secret, configMap, projected, downwardAPI → files written from the API objects (Secrets owner-only);
//   emptyDir → an empty directory that lives as long as the pod;
//   hostPath → the same path under the runner's emulated node root (so pods don't write into the real
//              host), except read-only mounts of host paths that exist (CA bundles), which are used as is;
//   persistentVolumeClaim / ephemeral → the bound PV's directory, which outlives the pod (etcd data!).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { V1KeyToPath, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1Volume } from '@kubernetes/client-node';
import { podFieldValue, type PodAddresses } from './env';

/** A volume that cannot be set up yet (missing Secret, unbound claim): the pod stays ContainerCreating. */
export class VolumeNotReady extends Error {}

export interface VolumeLookup {
  /** Decoded Secret data. */
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** ConfigMap data and binaryData (binary decoded to latin1-safe Buffers). */
  configMapFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  pvc(namespace: string, name: string): Promise<V1PersistentVolumeClaim | undefined>;
  pv(name: string): Promise<V1PersistentVolume | undefined>;
  /** A bound service account token (TokenRequest API). */
  token(pod: V1Pod, serviceAccount: string, audience: string | undefined, expirationSeconds: number): Promise<string>;
  /** The cluster CA, for `kube-root-ca.crt` when no controller-manager publishes it. */
  clusterCA(): string | undefined;
}

export interface VolumeContext {
  podDir: string;
  /** The runner's emulated node filesystem root for hostPath volumes. */
  nodeRoot: string;
  /** Where the runner's provisioner keeps PersistentVolume data (used as is, not emulated). */
  provisionedRoot: string;
  addresses: PodAddresses;
  lookup: VolumeLookup;
  log: (msg: string) => void;
}

interface FileEntry {
  path: string;
  content: Buffer;
  mode: number;
}

const SECRET_MODE_MASK = 0o700; // never readable by group or others

function keyFiles(
  data: Record<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  defaultMode: number,
  what: string,
  optional: boolean,
): FileEntry[] {
  if (!items?.length) return Object.entries(data).map(([k, v]) => ({ path: k, content: v, mode: defaultMode }));
  const out: FileEntry[] = [];
  for (const item of items) {
    const content = data[item.key];
    if (content === undefined) {
      if (optional) continue;
      throw new VolumeNotReady(`couldn't find key ${item.key} in ${what}`);
    }
    out.push({ path: item.path, content, mode: item.mode ?? defaultMode });
  }
  return out;
}

const toBuffers = (d: Record<string, string>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));

/** Writes `files` into `dir` and removes files that are no longer listed (Secret updates). */
function syncDir(dir: string, files: FileEntry[]): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const wanted = new Set<string>();
  for (const f of files) {
    const rel = path.normalize(f.path);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new VolumeNotReady(`invalid item path ${f.path}`);
    const target = path.join(dir, rel);
    wanted.add(target);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    let same = false;
    try {
      same = fs.readFileSync(target).equals(f.content) && (fs.statSync(target).mode & 0o777) === f.mode;
    } catch {
      /* new file */
    }
    if (same) continue;
    // Write-then-rename: a process reading the file never sees it half-written.
    const tmp = `${target}.kokpit-tmp`;
    fs.writeFileSync(tmp, f.content, { mode: f.mode });
    fs.chmodSync(tmp, f.mode);
    fs.renameSync(tmp, target);
  }
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!wanted.has(p)) fs.rmSync(p, { force: true });
    }
  };
  walk(dir);
}

interface TokenCacheEntry {
  token: string;
  refreshAt: number;
}

export class VolumeManager {
  private readonly tokens = new Map<string, TokenCacheEntry>();

  constructor(private readonly ctx: VolumeContext) {}

  /** Sets up (or refreshes) every volume; returns volume name → host path. */
  async materialize(pod: V1Pod): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const vol of pod.spec?.volumes ?? []) out.set(vol.name, await this.one(pod, vol));
    return out;
  }

  private volDir(name: string): string {
    return path.join(this.ctx.podDir, 'volumes', name);
  }

  /** Host path for a hostPath volume; `readOnly`: every mount of it is read-only. */
  hostPathFor(p: string, type: string | undefined, readOnly: boolean): string {
    if (readOnly && fs.existsSync(p)) return p;
    const emulated = path.join(this.ctx.nodeRoot, path.resolve('/', p));
    const exists = fs.existsSync(emulated);
    switch (type ?? '') {
      case '':
      case 'DirectoryOrCreate':
        if (!exists) fs.mkdirSync(emulated, { recursive: true, mode: 0o755 });
        break;
      case 'FileOrCreate':
        if (!exists) {
          fs.mkdirSync(path.dirname(emulated), { recursive: true });
          fs.writeFileSync(emulated, '');
        }
        break;
      case 'Directory':
      case 'File':
        if (!exists)
          throw new VolumeNotReady(`hostPath ${p} (type ${type}) does not exist under the runner's node root ${this.ctx.nodeRoot}`);
        break;
      default:
        throw new VolumeNotReady(`hostPath type ${type} is not supported by the process runner`);
    }
    return emulated;
  }

  private async one(pod: V1Pod, vol: V1Volume): Promise<string> {
    const ns = pod.metadata?.namespace ?? 'default';
    const dir = this.volDir(vol.name);
    const { lookup } = this.ctx;
    if (vol.emptyDir) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    }
    if (vol.secret) {
      const name = vol.secret.secretName!;
      const data = await lookup.secret(ns, name);
      if (!data) {
        if (!vol.secret.optional) throw new VolumeNotReady(`secret "${name}" not found`);
        syncDir(dir, []);
        return dir;
      }
      const mode = (vol.secret.defaultMode ?? 0o644) & SECRET_MODE_MASK;
      const files = keyFiles(toBuffers(data), vol.secret.items, mode, `secret ${ns}/${name}`, !!vol.secret.optional);
      syncDir(
        dir,
        files.map((f) => ({ ...f, mode: f.mode & SECRET_MODE_MASK })),
      );
      return dir;
    }
    if (vol.configMap) {
      const name = vol.configMap.name!;
      const data = await lookup.configMapFiles(ns, name);
      if (!data) {
        if (!vol.configMap.optional) throw new VolumeNotReady(`configmap "${name}" not found`);
        syncDir(dir, []);
        return dir;
      }
      syncDir(
        dir,
        keyFiles(data, vol.configMap.items, vol.configMap.defaultMode ?? 0o644, `configmap ${ns}/${name}`, !!vol.configMap.optional),
      );
      return dir;
    }
    if (vol.downwardAPI) {
      syncDir(dir, this.downward(pod, vol.downwardAPI.items ?? [], vol.downwardAPI.defaultMode ?? 0o644));
      return dir;
    }
    if (vol.projected) {
      syncDir(dir, await this.projected(pod, vol));
      return dir;
    }
    if (vol.hostPath) {
      const readOnly = this.allMountsReadOnly(pod, vol.name);
      const p = this.hostPathFor(vol.hostPath.path, vol.hostPath.type, readOnly);
      return p;
    }
    if (vol.persistentVolumeClaim || vol.ephemeral) {
      const claim = vol.persistentVolumeClaim?.claimName ?? `${pod.metadata?.name}-${vol.name}`;
      return this.claimPath(ns, claim);
    }
    const kind = Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
    throw new VolumeNotReady(`volume ${vol.name}: type ${kind} is not supported by the process runner`);
  }

  private allMountsReadOnly(pod: V1Pod, volume: string): boolean {
    const mounts = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((c) =>
      (c.volumeMounts ?? []).filter((m) => m.name === volume),
    );
    return mounts.length > 0 && mounts.every((m) => m.readOnly);
  }

  private async claimPath(ns: string, claimName: string): Promise<string> {
    const pvc = await this.ctx.lookup.pvc(ns, claimName);
    if (!pvc) throw new VolumeNotReady(`persistentvolumeclaim "${claimName}" not found`);
    const pvName = pvc.spec?.volumeName;
    if (!pvName || pvc.status?.phase !== 'Bound') throw new VolumeNotReady(`persistentvolumeclaim "${claimName}" is not bound yet`);
    const pv = await this.ctx.lookup.pv(pvName);
    if (!pv) throw new VolumeNotReady(`persistentvolume "${pvName}" not found`);
    const p: string | undefined = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!p) throw new VolumeNotReady(`persistentvolume "${pvName}" is neither hostPath nor local; the process runner cannot mount it`);
    // Our own provisioned volumes live in the state dir already; other host paths are emulated.
    if (p.startsWith(this.ctx.provisionedRoot + path.sep)) {
      fs.mkdirSync(p, { recursive: true, mode: 0o700 });
      return p;
    }
    return this.hostPathFor(p, 'DirectoryOrCreate', false);
  }

  private downward(
    pod: V1Pod,
    items: Array<{ path: string; fieldRef?: { fieldPath: string }; mode?: number }>,
    defaultMode: number,
  ): FileEntry[] {
    const out: FileEntry[] = [];
    for (const item of items) {
      if (!item.fieldRef) throw new VolumeNotReady(`downwardAPI item ${item.path}: only fieldRef is supported`);
      let value: string;
      const fp = item.fieldRef.fieldPath;
      if (fp === 'metadata.labels' || fp === 'metadata.annotations') {
        const map = (fp === 'metadata.labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {};
        value = Object.keys(map)
          .sort()
          .map((k) => `${k}=${JSON.stringify(map[k])}`)
          .join('\n');
      } else {
        value = podFieldValue(pod, fp, this.ctx.addresses);
      }
      out.push({ path: item.path, content: Buffer.from(value), mode: item.mode ?? defaultMode });
    }
    return out;
  }

  private async projected(pod: V1Pod, vol: V1Volume): Promise<FileEntry[]> {
    const ns = pod.metadata?.namespace ?? 'default';
    const defaultMode = vol.projected!.defaultMode ?? 0o644;
    const out: FileEntry[] = [];
    const { lookup } = this.ctx;
    for (const src of vol.projected!.sources ?? []) {
      if (src.secret) {
        const data = await lookup.secret(ns, src.secret.name!);
        if (!data) {
          if (src.secret.optional) continue;
          throw new VolumeNotReady(`secret "${src.secret.name}" not found`);
        }
        out.push(
          ...keyFiles(toBuffers(data), src.secret.items, defaultMode, `secret ${ns}/${src.secret.name}`, !!src.secret.optional).map(
            (f) => ({ ...f, mode: f.mode & SECRET_MODE_MASK }),
          ),
        );
      } else if (src.configMap) {
        let data = await lookup.configMapFiles(ns, src.configMap.name!);
        if (!data && src.configMap.name === 'kube-root-ca.crt') {
          // Published by kube-controller-manager's root-ca-cert-publisher; without one, use the CA we trust.
          const ca = lookup.clusterCA();
          if (ca) data = { 'ca.crt': Buffer.from(ca) };
        }
        if (!data) {
          if (src.configMap.optional) continue;
          throw new VolumeNotReady(`configmap "${src.configMap.name}" not found`);
        }
        out.push(...keyFiles(data, src.configMap.items, defaultMode, `configmap ${ns}/${src.configMap.name}`, !!src.configMap.optional));
      } else if (src.downwardAPI) {
        out.push(...this.downward(pod, src.downwardAPI.items ?? [], defaultMode));
      } else if (src.serviceAccountToken) {
        const t = src.serviceAccountToken;
        const sa = pod.spec?.serviceAccountName ?? 'default';
        const expiration = t.expirationSeconds ?? 3600;
        const key = `${pod.metadata?.uid}/${vol.name}/${t.path}/${t.audience ?? ''}`;
        let cached = this.tokens.get(key);
        if (!cached || Date.now() >= cached.refreshAt) {
          let token: string;
          try {
            token = await lookup.token(pod, sa, t.audience, expiration);
          } catch (e) {
            throw new VolumeNotReady(`service account token for ${ns}/${sa}: ${e instanceof Error ? e.message : String(e)}`);
          }
          // Refresh at 80% of the lifetime, like the kubelet's token manager.
          cached = { token, refreshAt: Date.now() + expiration * 800 };
          this.tokens.set(key, cached);
        }
        out.push({ path: t.path, content: Buffer.from(cached.token), mode: defaultMode & SECRET_MODE_MASK });
      } else {
        throw new VolumeNotReady(`projected volume ${vol.name}: unsupported source ${Object.keys(src).join(',')}`);
      }
    }
    return out;
  }
}
