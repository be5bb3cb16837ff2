// Completion at an offset: keys allowed at the cursor's object that are not there yet, values for a value
// position (enums, booleans, defaults), apiVersion/kind values and whole-document snippets at the top.
import type { Document } from 'yaml';
import { API_VERSION, CRON, DURATION, ETCD_VERSION, KUBERNETES_VERSION, QUANTITY } from '../api/common';
import { DEFAULT_ETCD_VERSION, DEFAULT_KUBERNETES_VERSION } from '../api/release-defaults';
import { KINDS } from '../api/kinds';
import { OCM_KINDS, ocmApiVersion } from '../api/ocm';
import { KIND_API_VERSION, KIND_KIND, documentTarget, isTarget, schemaAt, type CompiledSchema, type PathSegment } from '../validation';
import { boundedDocuments, findMarker, targetOf } from './ast-path';
import { fieldMarkdown, showValue } from './field-docs';

export interface CompletionItem {
  label: string;
  kind: 'property' | 'value' | 'snippet';
  /** Plain text, except for `snippet` items (VS Code snippet syntax). Multi-line text is relative to the cursor line's indentation. */
  insertText: string;
  documentation?: string;
  detail?: string;
}

// A key that no one writes: put where the user is typing so the parser places it in the right object.
const MARKER = '__kokpit_cursor__';
const KEY_WORD = /[A-Za-z0-9_./-]*$/;

export function completionsAt(text: string, offset: number): CompletionItem[] {
  offset = Math.max(0, Math.min(offset, text.length));
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEndRaw = text.indexOf('\n', offset);
  const lineEnd = lineEndRaw < 0 ? text.length : lineEndRaw;
  const before = text.slice(lineStart, offset);
  const after = text.slice(offset, lineEnd);
  if (/(^|\s)#/.test(before)) return []; // in a comment

  const value = /^(\s*(?:-\s+)*)((?:[^\s:#'"][^:#]*?)|"[^"]*"|'[^']*'):(\s*)(\S*)$/.exec(before);
  const key = value ? undefined : /^(\s*(?:-\s+)*)([A-Za-z0-9_./-]*)$/.exec(before);
  if (!value && !key) return [];

  let patched: string;
  let markerAt: number;
  let spaceBefore = false;
  if (value) {
    const word = value[4];
    const rest = after.replace(/^\S*/, '');
    markerAt = offset - word.length;
    spaceBefore = value[3] === '';
    patched = text.slice(0, markerAt) + (spaceBefore ? ' ' : '') + MARKER + rest + text.slice(lineEnd);
    if (spaceBefore) markerAt += 1;
  } else {
    const word = KEY_WORD.exec(before)![0];
    const afterWord = /^[A-Za-z0-9_./-]*/.exec(after)![0];
    const rest = after.slice(afterWord.length);
    markerAt = offset - word.length;
    patched = text.slice(0, markerAt) + MARKER + (rest.startsWith(':') ? rest : ':' + rest) + text.slice(lineEnd);
  }

  const doc = documentHolding(patched, markerAt);
  if (!doc) return [];
  const where = findMarker(doc.contents, MARKER, markerAt);
  if (!where) return [];
  const { apiVersion, target } = targetOf(doc);
  const prefix = spaceBefore ? ' ' : '';

  if (!where.asKey) {
    if (where.path.length === 1 && where.path[0] === 'apiVersion') return apiVersionValues(prefix);
    if (where.path.length === 1 && where.path[0] === 'kind') return kindValues(apiVersion, prefix);
    const s = target && schemaAt(target.schema, where.path);
    return s ? valueItems(s, prefix) : [];
  }
  if (where.path.length === 0 && !target) return topLevelWithoutKind(where.present);
  if (!target) return [];
  const s = schemaAt(target.schema, where.path);
  if (!s) return [];
  if (s.properties || s.types?.has('object')) return propertyItems(s, where.present);
  // `- |` in a list of scalars: the item is a value.
  if (typeof where.path[where.path.length - 1] === 'number' && where.present.size === 0) return valueItems(s, '');
  return [];
}

function documentHolding(text: string, offset: number): Document.Parsed | undefined {
  const parsed = boundedDocuments(text);
  return parsed.find((d) => d.range[0] <= offset && offset <= d.range[2]) ?? parsed.at(-1);
}

function propertyItems(s: CompiledSchema, present: Set<string>): CompletionItem[] {
  if (!s.properties) return [];
  const required = new Set(s.required);
  const items: CompletionItem[] = [];
  for (const [name, child] of s.properties) {
    if (present.has(name)) continue;
    items.push({
      label: name,
      kind: 'property',
      insertText: keyInsertText(name, child),
      documentation: fieldMarkdown(name, child, required.has(name)),
      detail: describeShort(child, required.has(name)),
    });
  }
  // Required fields first, otherwise schema order (stable sort).
  return items.sort((a, b) => Number(required.has(b.label)) - Number(required.has(a.label)));
}

function keyInsertText(name: string, s: CompiledSchema): string {
  const isObject = !!s.properties || (s.types?.has('object') ?? false);
  const isArray = s.types?.has('array') ?? false;
  if (isArray) return `${name}:\n  - `;
  if (isObject && !s.raw['x-kubernetes-preserve-unknown-fields']) return `${name}:\n  `;
  return `${name}: `;
}

function describeShort(s: CompiledSchema, required: boolean): string {
  const type = s.enumValues ? s.enumValues.map(showValue).join(' | ') : [...(s.types ?? ['any'])].join(' | ');
  const def = 'default' in s.raw && s.raw.default !== undefined ? ` = ${showValue(s.raw.default)}` : '';
  return `${type}${def}${required ? ' (required)' : ''}`;
}

function valueItems(s: CompiledSchema, prefix: string): CompletionItem[] {
  const values: unknown[] = [];
  if (s.enumValues) values.push(...s.enumValues);
  else if (s.types?.has('boolean')) values.push(true, false);
  const def = s.raw.default;
  // The default first: it is what the field means when left out.
  if (def !== undefined && (typeof def !== 'object' || def === null)) {
    const i = values.indexOf(def);
    if (i >= 0) values.splice(i, 1);
    values.unshift(def);
  }
  return values.map((v) => ({
    label: showValue(v),
    kind: 'value' as const,
    insertText: prefix + yamlScalar(v),
    detail: v === def ? 'default' : undefined,
    documentation: s.raw.description,
  }));
}

/** A scalar as YAML text: strings that would read as something else (`"true"`, `"3.5"`) are quoted. */
function yamlScalar(v: unknown): string {
  if (typeof v !== 'string') return String(v);
  const plainIsString = /^[A-Za-z_/][A-Za-z0-9_./-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(v);
  return plainIsString || /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|m)$/.test(v) ? v : JSON.stringify(v);
}

function apiVersionValues(prefix: string): CompletionItem[] {
  return [
    { label: API_VERSION, kind: 'value', insertText: prefix + API_VERSION, detail: 'kokpit resources' },
    { label: KIND_API_VERSION, kind: 'value', insertText: prefix + KIND_API_VERSION, detail: 'kind cluster configuration' },
    ...[...new Set(OCM_KINDS.map(ocmApiVersion))].map((v) => ({
      label: v,
      kind: 'value' as const,
      insertText: prefix + v,
      detail: `Open Cluster Management: ${OCM_KINDS.filter((k) => ocmApiVersion(k) === v)
        .map((k) => k.kind)
        .join(', ')}`,
    })),
  ];
}

function kindValues(apiVersion: unknown, prefix: string): CompletionItem[] {
  if (apiVersion === KIND_API_VERSION)
    return [{ label: KIND_KIND, kind: 'value', insertText: prefix + KIND_KIND, detail: 'kind cluster configuration' }];
  const ocm = OCM_KINDS.filter((k) => ocmApiVersion(k) === apiVersion);
  if (ocm.length)
    return ocm.map((k) => ({
      label: k.kind,
      kind: 'value',
      insertText: prefix + k.kind,
      detail: `Open Cluster Management, ${k.scope === 'Cluster' ? 'cluster-scoped' : 'namespaced'}`,
    }));
  return KINDS.map((k) => ({
    label: k.kind,
    kind: 'value',
    insertText: prefix + k.kind,
    detail: k.scope === 'Cluster' ? 'cluster-scoped' : 'namespaced',
    documentation: k.description,
  }));
}

/** A document without a kind yet: the two header keys, and a whole-document snippet per kind. */
function topLevelWithoutKind(present: Set<string>): CompletionItem[] {
  const items: CompletionItem[] = [];
  if (!present.has('apiVersion'))
    items.push({ label: 'apiVersion', kind: 'property', insertText: `apiVersion: ${API_VERSION}`, detail: API_VERSION });
  if (!present.has('kind'))
    items.push({ label: 'kind', kind: 'property', insertText: 'kind: ', detail: 'EtcdCluster, BusinessCluster, …' });
  if (present.size === 0) {
    for (const info of KINDS) {
      const t = documentTarget(API_VERSION, info.kind);
      if (isTarget(t))
        items.push({
          label: `${info.kind} (kokpit)`,
          kind: 'snippet',
          insertText: skeleton(API_VERSION, info.kind, t.schema),
          detail: `A new ${info.kind}`,
          documentation: info.description,
        });
    }
    // The OCM kinds a user writes; the rest (ManagedCluster, PlacementDecision, ...) kokpit or OCM creates.
    for (const info of OCM_KINDS.filter((k) => OCM_SNIPPET_KINDS.includes(k.kind))) {
      const t = documentTarget(ocmApiVersion(info), info.kind);
      if (isTarget(t))
        items.push({
          label: `${info.kind} (OCM)`,
          kind: 'snippet',
          insertText: skeleton(ocmApiVersion(info), info.kind, t.schema),
          detail: `A new ${info.kind} (Open Cluster Management)`,
          documentation: t.schema.raw.description,
        });
    }
    const kindCluster = documentTarget(KIND_API_VERSION, KIND_KIND);
    if (isTarget(kindCluster))
      items.push({
        label: 'kind Cluster config',
        kind: 'snippet',
        insertText: skeleton(KIND_API_VERSION, KIND_KIND, kindCluster.schema),
        detail: 'kind create cluster --config',
      });
  }
  return items;
}

const OCM_SNIPPET_KINDS = ['ManifestWork', 'ManifestWorkReplicaSet', 'Placement', 'ManagedClusterSetBinding'];

/** Where a new document has to choose and no field is required: the choice a newcomer most likely wants. */
const SKELETON_CHOICES: Record<string, string[]> = {
  'BusinessCluster:spec.etcd': ['managed'], // a dedicated etcd; sharing one needs an existing EtcdCluster
  'BusinessCluster:spec.etcd.managed': ['replicas'],
};

/**
 * Kinds whose smallest valid document the schema alone cannot produce: a FleetRollout needs one of two targets,
 * a non-empty selector and waves that end at 100 % (rules beyond the schema).
 */
const SKELETON_TEXT: Record<string, string[]> = {
  // OCM refuses a work without manifests, and a Placement selecting nothing is a common surprise.
  ManifestWork: [
    '  namespace: ${2:cluster-namespace}',
    'spec:',
    '  workload:',
    '    manifests:',
    '      - apiVersion: v1',
    '        kind: ConfigMap',
    '        metadata:',
    '          name: ${3:hello}',
    '          namespace: ${4:default}',
  ],
  ManifestWorkReplicaSet: [
    '  namespace: ${2:default}',
    'spec:',
    '  placementRefs:',
    '    - name: ${3:placement}',
    '  manifestWorkTemplate:',
    '    workload:',
    '      manifests:',
    '        - apiVersion: v1',
    '          kind: ConfigMap',
    '          metadata:',
    '            name: ${4:hello}',
    '            namespace: ${5:default}',
  ],
  Placement: [
    '  namespace: ${2:default}',
    'spec:',
    '  predicates:',
    '    - requiredClusterSelector:',
    '        labelSelector:',
    '          matchLabels:',
    '            ${3:env}: ${4:dev}',
  ],
  FleetRollout: [
    'spec:',
    '  target:',
    '    kubernetesVersion: ${2:v1.33.13}',
    '  clusters:',
    '    selector:',
    '      matchLabels:',
    '        ${3:env}: ${4:prod}',
    '  waves:',
    '    - name: ${5:canary}',
    '      clusters: 1',
    '    - name: ${6:rest}',
    '      clusters: 100%',
  ],
};

/** A new document: required fields (recursively) with placeholders; for a spec without required
 *  fields, its defaulted first-level fields. */
function skeleton(apiVersion: string, kind: string, root: CompiledSchema): string {
  const placeholder = placeholders();
  const lines = [`apiVersion: ${apiVersion}`, `kind: ${kind}`];
  if (root.properties?.has('metadata')) lines.push('metadata:', `  name: ${placeholder(`my-${kind.toLowerCase()}`)}`);
  const spec = root.properties?.get('spec');
  if (SKELETON_TEXT[kind]) return [...lines, ...SKELETON_TEXT[kind]].join('\n') + '\n';
  if (spec) {
    const inner = skeletonBody(kind, spec, '  ', ['spec'], 0, placeholder);
    lines.push(inner.length ? 'spec:' : 'spec: {}', ...inner);
  }
  return lines.join('\n') + '\n';
}

type Placeholder = (text: string) => string;

/** Numbered snippet placeholders: `${1:text}`, `${2:text}`, … */
function placeholders(): Placeholder {
  let n = 0;
  return (text) => `\${${++n}:${text.replace(/[$}\\]/g, (c) => `\\${c}`)}}`;
}

/** The lines of the object `s` at `path` in a new document: its required fields (or the choice SKELETON_CHOICES
 *  names), recursively; at depth 0 without required fields, its defaulted ones. */
function skeletonBody(
  kind: string,
  s: CompiledSchema,
  indent: string,
  path: PathSegment[],
  depth: number,
  placeholder: Placeholder,
): string[] {
  const out: string[] = [];
  const names =
    SKELETON_CHOICES[`${kind}:${path.join('.')}`] ??
    (s.required.length
      ? s.required
      : depth === 0
        ? [...(s.properties?.keys() ?? [])].filter((k) => 'default' in s.properties!.get(k)!.raw)
        : []);
  for (const name of names) out.push(...fieldLines(kind, s, name, indent, path, depth, placeholder));
  return out;
}

function fieldLines(
  kind: string,
  s: CompiledSchema,
  name: string,
  indent: string,
  path: PathSegment[],
  depth: number,
  placeholder: Placeholder,
): string[] {
  const child = s.properties?.get(name);
  if (!child) return [];
  if (child.properties) {
    const inner = skeletonBody(kind, child, indent + '  ', [...path, name], depth + 1, placeholder);
    return inner.length ? [`${indent}${name}:`, ...inner] : [`${indent}${name}: {}`];
  }
  if (child.types?.has('array')) return [`${indent}${name}:`, `${indent}  - ${placeholder('')}`];
  const example = child.raw.default ?? child.enumValues?.[0] ?? exampleFor(child);
  return [`${indent}${name}: ${placeholder(showValue(example))}`];
}

/** Field `name` of the object `parent` (at `parentPath` of a `kind` document) as snippet lines at `indent`, with
 *  what a new document would hold below it: what the quick fix for a missing required field inserts. */
export function fieldSnippet(kind: string, parent: CompiledSchema, parentPath: PathSegment[], name: string, indent: string): string[] {
  return fieldLines(kind, parent, name, indent, parentPath, 1, placeholders());
}

/** Placeholders for patterned strings: an empty one would leave the new document invalid. */
const PATTERN_EXAMPLES = new Map<string, string>([
  [ETCD_VERSION, DEFAULT_ETCD_VERSION],
  [KUBERNETES_VERSION, DEFAULT_KUBERNETES_VERSION],
  [QUANTITY, '1Gi'],
  [DURATION, '10m'],
  [CRON, '0 */6 * * *'],
]);

function exampleFor(s: CompiledSchema): string {
  const d = s.raw.description ?? '';
  const m = /e\.g\. `([^`]+)`/.exec(d);
  if (m) return m[1];
  const byPattern = s.pattern && PATTERN_EXAMPLES.get(s.pattern.source);
  if (byPattern) return byPattern;
  return s.types?.has('integer') ? '1' : '';
}
