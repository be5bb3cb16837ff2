// `kokpit diff -f <file>`: what `kokpit apply -f` would change. Each document is server-side applied as a
// dry run (same field manager as apply, so defaults, webhooks and field ownership are the server's own
// answer), and the result is compared with the live object: metadata labels/annotations/finalizers/
// ownerReferences and every top-level field except status. Secret values are never printed.
// Exit 0: no differences; 1: differences; 2: an error (invalid file, unreachable server, rejected object).
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { applyObject, describeKubeError, describeRef, makeObjectApi, readObject } from '../../kube';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { UsageError, type CliIO, type Command } from '../command';
import { readValidManifests } from './render';

const EXIT_DIFF = 1;
const EXIT_ERROR = 2;

type Obj = KubernetesObject & Record<string, unknown>;

const redact = (v: unknown) => {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return `(redacted, sha256:${createHash('sha256').update(text).digest('hex').slice(0, 12)})`;
};

/** The part of an object a diff shows: what a user writes, without server bookkeeping; Secret values redacted. */
export function diffProjection(o: Obj | undefined): Record<string, unknown> | undefined {
  if (!o) return undefined;
  const { apiVersion: _a, kind: _k, metadata, status: _s, ...rest } = o;
  const md = (metadata ?? {}) as Record<string, unknown>;
  const keptMeta = Object.fromEntries(
    ['name', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences']
      .filter((k) => md[k] !== undefined)
      .map((k) => [k, md[k]]),
  );
  // kubectl's own bookkeeping annotation would show whole objects as changed.
  const ann = keptMeta.annotations as Record<string, string> | undefined;
  if (ann?.['kubectl.kubernetes.io/last-applied-configuration']) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _l, ...others } = ann;
    if (Object.keys(others).length) keptMeta.annotations = others;
    else delete keptMeta.annotations;
  }
  if (o.kind === 'Secret') {
    for (const k of ['data', 'stringData']) {
      const m = rest[k] as Record<string, unknown> | undefined;
      if (m) rest[k] = Object.fromEntries(Object.entries(m).map(([key, v]) => [key, redact(v)]));
    }
  }
  return { metadata: keptMeta, ...(sortKeys(rest) as Record<string, unknown>) };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * A unified diff of two texts' lines (LCS), in hunks with `context` lines around each change.
 * Empty when equal. Objects are small, so the quadratic table is fine.
 */
export function unifiedDiff(a: string[], b: string[], context = 3): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: Array<{ t: ' ' | '-' | '+'; line: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ t: ' ', line: a[i], ai: i++, bi: j++ });
    // Removals before additions at a change, as diff(1) prints them.
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ t: '-', line: a[i], ai: i++, bi: j });
    else ops.push({ t: '+', line: b[j], ai: i, bi: j++ });
  }
  const out: string[] = [];
  let k = 0;
  while (k < ops.length) {
    if (ops[k].t === ' ') {
      k++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change within reach.
    const start = Math.max(0, k - context);
    let end = k;
    let lastChange = k;
    while (end < ops.length && (ops[end].t !== ' ' || end - lastChange <= context * 2)) {
      if (ops[end].t !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const hunk = ops.slice(start, end);
    const aLen = hunk.filter((x) => x.t !== '+').length;
    const bLen = hunk.filter((x) => x.t !== '-').length;
    out.push(`@@ -${hunk[0].ai + (aLen ? 1 : 0)},${aLen} +${hunk[0].bi + (bLen ? 1 : 0)},${bLen} @@`);
    for (const x of hunk) out.push(`${x.t}${x.line}`);
    k = end;
  }
  return out;
}

/** The diff of one object, or [] when the live object already is what applying would make it. */
export function objectDiff(what: string, live: Obj | undefined, merged: Obj): string[] {
  const toLines = (o: Record<string, unknown> | undefined) => (o ? stringify(o).trimEnd().split('\n') : []);
  const body = unifiedDiff(toLines(diffProjection(live)), toLines(diffProjection(merged)));
  if (!body.length) return [];
  return [`--- ${what} (live)${live ? '' : ': does not exist'}`, `+++ ${what} (after apply)`, ...body];
}

export const diffCommand: Command = {
  async run(argv, io) {
    try {
      return await diff(argv, io);
    } catch (e) {
      // Exit 1 means "differences": any other failure (an unreadable kubeconfig, …) is an error, 2.
      if (e instanceof UsageError) throw e;
      io.err(`kokpit diff: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT_ERROR;
    }
  },
};

async function diff(argv: string[], io: CliIO): Promise<number> {
  const p = parseFlags(argv, [
    ...META_FLAGS,
    { name: 'filename', short: 'f', value: true },
    { name: 'namespace', short: 'n', value: true },
  ]);
  const { docs, errors } = readValidManifests(p, io);
  if (errors) return EXIT_ERROR;
  const objects = makeObjectApi(metaCluster(p).kc);
  const ns = str(p, 'namespace');
  let differs = 0;
  let failed = 0;
  for (const doc of docs as Obj[]) {
    if (doc.kind === 'LocalEnvironment') continue;
    const obj = { ...doc, metadata: { ...doc.metadata, ...(ns && !doc.metadata?.namespace ? { namespace: ns } : {}) } } as Obj;
    const what = `${obj.kind?.toLowerCase()}/${obj.metadata?.name}`;
    try {
      const live = await readObject<Obj>(objects, obj as never);
      const merged = await applyObject<Obj>(objects, obj, { dryRun: true });
      const lines = objectDiff(what, live, merged);
      if (lines.length) {
        differs++;
        io.out(lines.join('\n'));
      }
    } catch (e) {
      failed++;
      io.err(`${describeRef(obj)}: ${describeKubeError(e)}`);
    }
  }
  if (failed) return EXIT_ERROR;
  if (!differs) io.err(`no differences (${docs.length} document${docs.length === 1 ? '' : 's'})`);
  return differs ? EXIT_DIFF : 0;
}
