// Hover: the documentation of the field under the cursor (key or value), from the schema descriptions.
import { schemaAt, type CompiledSchema, type PathSegment } from '../validation';
import { documentAt, nodeAt, targetOf } from './ast-path';
import { fieldMarkdown } from './field-docs';

export interface HoverResult {
  markdown: string;
  range: { offset: number; endOffset: number };
}

export function hoverAt(text: string, offset: number): HoverResult | undefined {
  const doc = documentAt(text, offset);
  if (!doc) return undefined;
  const at = nodeAt(doc.contents, offset);
  if (!at || !at.node.range) return undefined;
  const { target } = targetOf(doc);
  if (!target) return undefined;
  const path = at.path;
  const s = schemaAt(target.schema, path);
  if (!s) return undefined;
  const field = lastName(path);
  const markdown = fieldMarkdown(field, s, isRequired(target.schema, path));
  return { markdown, range: { offset: at.node.range[0], endOffset: at.node.range[1] } };
}

function lastName(path: PathSegment[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--)
    if (typeof path[i] === 'string')
      return path
        .slice(i)
        .map((p) => (typeof p === 'number' ? `[${p}]` : p))
        .join('');
  return undefined;
}

function isRequired(root: CompiledSchema, path: PathSegment[]): boolean {
  const last = path[path.length - 1];
  if (typeof last !== 'string') return false;
  const parent = schemaAt(root, path.slice(0, -1));
  return !!parent?.required.includes(last);
}
