// Wording shared by the schema walker and the semantic rules: patterns in words, "did you mean", values.
import {
  CRON,
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  DNS_NAME_OR_IP,
  DURATION,
  ETCD_VERSION,
  KUBERNETES_VERSION,
  QUANTITY,
} from '../api/common';
import { DATE_TIME } from '../api/catalog';

/** What a pattern expects, in words. Keyed by the pattern source the schemas carry. */
const PATTERN_TEXT = new Map<string, string>([
  [
    DNS1123_LABEL,
    'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, e.g. "my-cluster"',
  ],
  [DNS1123_SUBDOMAIN, 'must be a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", e.g. "v1.32.13"'],
  [DNS_NAME_OR_IP, 'must be a DNS name (lowercase, e.g. "api.example.com" or "*.example.com") or an IP address'],
  [QUANTITY, 'must be a quantity like 8Gi, 500m or 2'],
  [KUBERNETES_VERSION, 'must be a Kubernetes version like v1.32.13'],
  [ETCD_VERSION, 'must be etcd 3.5.0 or newer, like 3.5.35'],
  [DURATION, 'must be a duration like 30s, 10m or 1h30m'],
  [CRON, 'must be a five-field cron schedule like "0 */6 * * *" or a macro like @daily'],
  [DATE_TIME, 'must be an RFC 3339 date-time like "2026-06-30T00:00:00Z"'],
  ['^[a-zA-Z][a-zA-Z0-9_]*$', 'must start with a letter and hold only letters, digits and "_", e.g. "replicaCount"'],
]);

export function patternMessage(pattern: RegExp, value: string): string {
  const text = PATTERN_TEXT.get(pattern.source) ?? `must match the pattern ${pattern.source}`;
  let hint = '';
  // The commonest slip: a Kubernetes version without its leading "v".
  if (pattern.source === KUBERNETES_VERSION && /^[0-9]+\.[0-9]+\.[0-9]+$/.test(value)) hint = `; did you mean "v${value}"?`;
  else if (
    (pattern.source === DNS1123_LABEL || pattern.source === DNS1123_SUBDOMAIN || pattern.source === DNS_NAME_OR_IP) &&
    value.toLowerCase() !== value
  ) {
    const lower = value.toLowerCase().replace(/[^-a-z0-9.]/g, '-');
    if (new RegExp(pattern.source).test(lower)) hint = `; did you mean "${lower}"?`;
  }
  return `${quote(value)} ${text}${hint}`;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), capped for speed. */
export function editDistance(a: string, b: string, cap = 3): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1];
}

/** The candidate a misspelt word most likely meant: a case-insensitive match, else the closest within
 *  distance 2 (and less than half the word, so short words do not match everything). */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    if (c === word) continue;
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(lower, c.toLowerCase(), 2);
    if (d <= 2 && d < Math.max(word.length, c.length) / 2 && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** A value as it appears in a message: strings quoted, the rest as YAML would print them. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
  return String(value);
}

/** The JSON type of a parsed YAML value, as a message names it. */
export function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const ARTICLE: Record<string, string> = {
  object: 'an object (key: value pairs)',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  null: 'an empty value',
};

export function describeTypes(types: Iterable<string>): string {
  return [...types].map((t) => ARTICLE[t] ?? t).join(' or ');
}

export function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `"${v}"` : String(v))).join(', ');
}

/** "a BusinessCluster", "an EtcdCluster", "an Addon". */
export function withArticle(word: string): string {
  return `${/^[aeiouAEIOU]/.test(word) ? 'an' : 'a'} ${word}`;
}
