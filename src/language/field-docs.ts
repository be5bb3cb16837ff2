// Field documentation shown on hover and beside completions: one text, from the schema descriptions.
import { patternMessage } from '../validation/messages';
import { typeLabel, type CompiledSchema } from '../validation';

/** A YAML-ish rendering of a value for docs: `3`, `"Auto"`, `true`. */
export function showValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Markdown for one field: description, type, default, allowed values, format. */
export function fieldMarkdown(name: string | undefined, s: CompiledSchema, required = false): string {
  const raw = s.raw;
  const head = [name ? `**${name}**` : undefined, `\`${typeLabel(s)}\``, required ? 'required' : undefined].filter(Boolean).join(' · ');
  const parts = [head];
  if (raw.description) parts.push(raw.description);
  const facts: string[] = [];
  if (s.enumValues) facts.push(`Allowed values: ${s.enumValues.map((v) => `\`${showValue(v)}\``).join(', ')}`);
  if ('default' in raw && raw.default !== undefined) facts.push(`Default: \`${showValue(raw.default)}\``);
  if (s.pattern) facts.push(`Format: ${patternMessage(s.pattern, '').replace(/^"" /, '')}`);
  if (s.minimum !== undefined || s.maximum !== undefined) facts.push(`Range: ${s.minimum ?? '…'}–${s.maximum ?? '…'}`);
  if (s.maxLength !== undefined) facts.push(`At most ${s.maxLength} characters`);
  if (s.items?.properties) facts.push(`Each item has: ${[...s.items.properties.keys()].map((k) => `\`${k}\``).join(', ')}`);
  else if (s.properties && s.properties.size && s.properties.size <= 12 && !name?.match(/^(metadata)$/))
    facts.push(`Fields: ${[...s.properties.keys()].map((k) => `\`${k}\``).join(', ')}`);
  if (facts.length) parts.push(facts.join('  \n'));
  return parts.join('\n\n');
}
