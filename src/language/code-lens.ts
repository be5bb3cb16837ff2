// Where the manifest actions (Apply, Diff, Render) go: one set above each kokpit document of a (multi-document)
// YAML text. Pure; the editor's CodeLens provider turns each entry into lenses.
import { isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import { GROUP } from '../api/common';
import { KOKPIT_KIND_NAMES, LIMITS, parseDocuments } from '../validation';

export interface DocumentLens {
  /** 0-based index of the document in the text (the validator's `Diagnostic.document`). */
  document: number;
  /** Where the document's content starts: the lenses stand on this line. */
  offset: number;
  kind: string;
  name?: string;
  namespace?: string;
  /** Whether Render has something to show (the kinds `kokpit render` turns into meta-cluster objects). */
  renderable: boolean;
}

const RENDERABLE = new Set(['BusinessCluster', 'EtcdCluster']);

/** One entry per document whose apiVersion is in the kokpit.dev group and whose kind is a kokpit kind. */
export function documentLenses(text: string): DocumentLens[] {
  if (text.length > LIMITS.maxChars || !text.includes(`${GROUP}/`)) return [];
  const out: DocumentLens[] = [];
  parseDocuments(text).forEach((doc, document) => {
    const root = doc.contents as Node | null;
    if (!isMap(root)) return;
    const apiVersion = scalar(root, 'apiVersion');
    const kind = scalar(root, 'kind');
    if (typeof apiVersion !== 'string' || !apiVersion.startsWith(`${GROUP}/`)) return;
    if (typeof kind !== 'string' || !KOKPIT_KIND_NAMES.includes(kind)) return;
    const metadata = root.items.find((p) => isScalar(p.key) && p.key.value === 'metadata')?.value;
    const name = isMap(metadata) ? scalar(metadata, 'name') : undefined;
    const namespace = isMap(metadata) ? scalar(metadata, 'namespace') : undefined;
    out.push({
      document,
      offset: root.range?.[0] ?? 0,
      kind,
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof namespace === 'string' ? { namespace } : {}),
      renderable: RENDERABLE.has(kind),
    });
  });
  return out;
}

/** The document an offset is in (the last lens starting at or before it; else the first). */
export function lensAt(lenses: readonly DocumentLens[], offset: number): DocumentLens | undefined {
  let found = lenses[0];
  for (const l of lenses) if (l.offset <= offset) found = l;
  return found;
}

function scalar(map: YAMLMap, key: string): unknown {
  const pair = map.items.findLast((p) => isScalar(p.key) && p.key.value === key);
  return isScalar(pair?.value) ? pair.value.value : undefined;
}
