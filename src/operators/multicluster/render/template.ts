// OCM's manifests are Go templates (text/template, and one Helm chart file). kokpit applies a copy of them
// (config/ocm/) and expands the few constructs they use here instead of keeping edited copies:
// `{{ .Name }}` and `{{ .Struct.Field }}` values, `{{ if X }}…{{ else }}…{{ end }}` on a value's truthiness,
// `{{ range … }}` over the (always empty) label map. Anything else is an error, so a new construct in a future copy
// is noticed.
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';

export type TemplateValues = Readonly<Record<string, string | boolean | undefined>>;

const TOKEN = /\{\{-?\s*(.*?)\s*-?\}\}/g;

interface Frame {
  /** Whether text at this level is emitted. */
  on: boolean;
  /** Whether the enclosing level was emitting (an `else` can only turn on what its parent allows). */
  parentOn: boolean;
  /** For `if`: whether the condition held. Ranges never emit (their map is empty). */
  cond: boolean;
}

/** A condition: `.Name`, `gt (len .Labels) 0` (labels are always empty), or an expression given verbatim in `values`. */
function truthy(expr: string, values: TemplateValues): boolean {
  if (expr in values) return !!values[expr];
  if (/^gt \(len \.Labels\) 0$/.test(expr)) return false;
  const m = /^\.(\w+)$/.exec(expr);
  if (m) return !!values[m[1]];
  throw new Error(`template condition not supported: {{ if ${expr} }}`);
}

export function expandTemplate(text: string, values: TemplateValues): string {
  const stack: Frame[] = [];
  const on = () => stack.every((f) => f.on);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (on()) out += text.slice(last, m.index);
    last = m.index + m[0].length;
    const t = m[1];
    if (t.startsWith('if ')) stack.push({ on: on() && truthy(t.slice(3), values), parentOn: on(), cond: truthy(t.slice(3), values) });
    else if (t.startsWith('range ')) stack.push({ on: false, parentOn: on(), cond: false });
    else if (t === 'else') {
      const f = stack[stack.length - 1];
      if (!f) throw new Error('template: else without if');
      f.on = f.parentOn && !f.cond;
    } else if (t === 'end') {
      if (!stack.pop()) throw new Error('template: end without if');
    } else if (!on()) continue;
    else if (/^\.\w+(?:\.\w+)*$/.test(t)) {
      // `.A.B` (a field of a struct value, e.g. `.RegistrationWebhook.Port`) is looked up as the key `A.B`.
      const v = values[t.slice(1)];
      if (v === undefined) throw new Error(`template value missing: {{ ${t} }}`);
      out += String(v);
    } else throw new Error(`template action not supported: {{ ${t} }}`);
  }
  if (stack.length) throw new Error('template: unterminated if/range');
  return out + (on() ? text.slice(last) : '');
}

/** The objects of an expanded template file (empty documents and empty `labels:` dropped). */
export function templateObjects(text: string, values: TemplateValues): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(expandTemplate(text, values))) {
    const o = doc.toJS() as KubernetesObject | null;
    if (!o) continue;
    if (o.metadata && o.metadata.labels === null) delete o.metadata.labels;
    // A key ending in `-` tells OCM's operator (library-go's merge) to remove that annotation: nothing to add.
    for (const k of Object.keys(o.metadata?.annotations ?? {})) if (k.endsWith('-')) delete o.metadata!.annotations![k];
    if (o.metadata?.annotations && !Object.keys(o.metadata.annotations).length) delete o.metadata.annotations;
    out.push(o);
  }
  return out;
}
