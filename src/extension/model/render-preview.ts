// "Render Preview", the part that needs no editor: the meta-cluster objects a file's BusinessClusters and
// EtcdClusters would produce, as YAML, offline (the file's KubernetesVersion/Addon documents before kokpit's default
// catalog, as `kokpit render`; Secrets hold placeholders).
// The virtual document's path carries the source file, so the preview re-renders from the file's current text.
import { stringify } from 'yaml';
import { parseAllDocuments } from 'yaml';
import { catalogWith, renderDocument, RENDERED_ANNOTATION } from '../../local/render';
import { validateText, type ValidateOptions } from '../../validation';

export const RENDER_SCHEME = 'kokpit-render';

const RENDERABLE = new Set(['BusinessCluster', 'EtcdCluster']);

/** The preview's text; never throws: a file that cannot be rendered gets a YAML comment saying why. With `only`
 *  (a document's 0-based index, from its CodeLens) just that document is rendered, and only its errors stop it. */
export function renderPreviewText(text: string, file: string, opts: ValidateOptions = {}, only?: number): string {
  const header = [
    `# Rendered offline from ${file}${only === undefined ? '' : ` (document ${only + 1})`} (no cluster). ` +
      `Secrets contain PLACEHOLDER data, not keys (annotated ${RENDERED_ANNOTATION}).`,
  ];
  const errors = validateText(text, opts).filter((d) => d.severity === 'error' && (only === undefined || d.document === only));
  if (errors.length) {
    return [
      ...header,
      `# Not rendered: ${file} has ${errors.length} error${errors.length > 1 ? 's' : ''}:`,
      ...errors.map((d) => `#   ${d.line}:${d.column}: ${d.message}`),
      '',
    ].join('\n');
  }
  const isObject = (d: unknown): d is Record<string, unknown> => !!d && typeof d === 'object' && !Array.isArray(d);
  const all = parseAllDocuments(text).map((d) => d.toJS() as unknown);
  const docs = all.filter(isObject);
  const targets = (only === undefined ? docs : [all[only]].filter(isObject)).filter((d) => RENDERABLE.has(String(d.kind)));
  if (targets.length === 0) return [...header, `# Nothing to render: ${file} holds no BusinessCluster or EtcdCluster.`, ''].join('\n');
  const catalog = catalogWith(docs);
  const comments: string[] = [];
  const bodies: string[] = [];
  for (const doc of targets) {
    const md = doc.metadata as { name?: string; namespace?: string } | undefined;
    const what = `${String(doc.kind)} ${md?.namespace ?? 'default'}/${md?.name ?? '(no name)'}`;
    try {
      const r = renderDocument(doc, catalog);
      comments.push(`# ${what}: ${r.objects.length} objects`, ...r.notes.map((n) => `#   note: ${n}`));
      bodies.push(...r.objects.map((o) => `---\n${stringify(o).trimEnd()}`));
    } catch (e) {
      comments.push(`# ${what}: not rendered: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return [...header, ...comments, ...bodies, ''].join('\n');
}

/** The virtual document's path for a source document (its URI, so it can be found again), and for one of its
 *  documents (`;` never appears in an encoded URI, so the suffix cannot be part of it). */
export function renderPreviewPath(sourceUri: string, document?: number): string {
  return `/${encodeURIComponent(sourceUri)}${document === undefined ? '' : `;document=${document}`}.rendered.yaml`;
}

const PREVIEW_PATH = /^\/([^;]*)(?:;document=(\d+))?\.rendered\.yaml$/;

export function sourceOfRenderPreviewPath(path: string): string {
  const m = PREVIEW_PATH.exec(path);
  if (!m) throw new Error(`not a kokpit render preview: ${path}`);
  return decodeURIComponent(m[1]);
}

/** The document a preview renders alone, if any. */
export function documentOfRenderPreviewPath(path: string): number | undefined {
  const m = PREVIEW_PATH.exec(path);
  return m?.[2] === undefined ? undefined : Number(m[2]);
}
