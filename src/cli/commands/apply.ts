// `kokpit apply -f <file>`: validate, then server-side apply every document to the meta cluster with
// kokpit's field manager. Nothing is applied when any document is invalid, or when a document is an Open Cluster
// Management kind the meta cluster does not serve (kokpit installs no OCM CRD here; `kokpit up --with-ocm` does).
import type { KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { API_VERSION, STATE_REASON_ANNOTATION, type KubernetesVersion } from '../../api';
import { findOcmKind, type OcmKind } from '../../api/ocm';
import { applyObject, describeKubeError, listObjects, makeObjectApi } from '../../kube';
import { ocmNotInstalled } from '../ocm';
import type { CatalogEntry } from '../../validation/types';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { validateText } from '../../validation';
import { EXIT, type Command } from '../command';
import { readValidManifests } from './render';

export const applyCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [
      ...META_FLAGS,
      { name: 'filename', short: 'f', value: true },
      { name: 'namespace', short: 'n', value: true },
      { name: 'dry-run' },
    ]);
    const { file, text, docs, errors, unreadable } = readValidManifests(p, io);
    if (unreadable) return EXIT.USAGE;
    if (errors) {
      io.err(`kokpit apply: ${errors} error${errors === 1 ? '' : 's'}; nothing applied`);
      return EXIT.FAILED;
    }
    const { kc } = metaCluster(p);
    const objects = makeObjectApi(kc);
    // Validation already matched each OCM document to a kind and version it knows.
    const ocmKinds = (docs as KubernetesObject[]).map((d) => findOcmKind(d.kind ?? '')).filter((k): k is OcmKind => !!k);
    if (ocmKinds.length) {
      let missing: string | undefined;
      try {
        missing = await ocmNotInstalled(kc, ocmKinds);
      } catch (e) {
        io.err(`kokpit apply: cannot reach the meta cluster: ${describeKubeError(e)}; nothing applied`);
        return EXIT.FAILED;
      }
      if (missing) {
        io.err(`kokpit apply: ${missing}; nothing applied`);
        return EXIT.FAILED;
      }
    }
    // Against the live catalog: a BusinessCluster at a version the meta cluster cannot run is a warning here,
    // before it is created, not a cluster that silently never starts.
    const catalog = await liveCatalog(objects);
    if (catalog) {
      for (const d of validateText(text, { catalog }).filter(
        (x) => x.severity === 'warning' && (x.code === 'version-not-usable' || x.code === 'unknown-version'),
      )) {
        io.err(`${file}:${d.line}:${d.column}: warning: ${d.message}`);
      }
    }
    const ns = str(p, 'namespace');
    let failed = 0;
    for (const doc of docs as KubernetesObject[]) {
      if (doc.kind === 'LocalEnvironment') {
        io.err(`skipped LocalEnvironment ${doc.metadata?.name ?? ''}: it is read by \`kokpit up --config\`, not applied`);
        continue;
      }
      const obj = {
        ...doc,
        metadata: { ...doc.metadata, ...(ns && !doc.metadata?.namespace ? { namespace: ns } : {}) },
      } as KubernetesObject;
      const what = `${obj.kind?.toLowerCase()}/${obj.metadata?.name}`;
      try {
        await applyObject(objects, obj, { dryRun: p.flags['dry-run'] === true });
        io.out(`${what} applied${p.flags['dry-run'] ? ' (server dry run)' : ''}`);
      } catch (e) {
        failed++;
        io.err(`${what}: ${describeKubeError(e)}`);
      }
    }
    return failed ? EXIT.FAILED : EXIT.OK;
  },
};

/** The meta cluster's KubernetesVersions as validation sees them; undefined when they cannot be read. */
export async function liveCatalog(objects: KubernetesObjectApi): Promise<CatalogEntry[] | undefined> {
  try {
    const items = await listObjects<KubernetesVersion & KubernetesObject>(objects, API_VERSION, 'KubernetesVersion');
    return items.map((v) => ({ version: v.spec.version, state: v.spec.state, reason: v.metadata.annotations?.[STATE_REASON_ANNOTATION] }));
  } catch {
    return undefined;
  }
}
