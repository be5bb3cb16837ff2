// Answers that depend only on certificate and key texts, by the SHA-256 of those texts: parsing (@peculiar/x509's
// costs milliseconds), signature checks, key comparisons. The cluster operator asks them about the same ~30
// certificates and keys on every pass of every cluster (its steady CPU in npm run bench -- fleet); a pure function
// of the text gives the same answer again. Bounded, oldest out first. A computation that throws is not kept.
import { createHash } from 'node:crypto';

const memo = new Map<string, unknown>();
// ~35 entries per business cluster, each a few hundred bytes: room for ~10,000 clusters (~100 MiB at most). Oldest-out
// evicts the entries the next cluster in a full pass needs, so a bound below the fleet makes every pass parse again.
const MEMO_MAX = 350_000;

function keyOf(kind: string, texts: string[]): string {
  const hash = createHash('sha256').update(kind);
  for (const t of texts) hash.update('\0').update(t);
  return hash.digest('base64');
}

/** `compute()`'s value, computed once per `kind` and `texts` (it must depend on nothing else). */
export function memoized<T>(kind: string, texts: string[], compute: () => T): T {
  const key = keyOf(kind, texts);
  if (memo.has(key)) return memo.get(key) as T;
  const value = compute();
  if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value!);
  memo.set(key, value);
  return value;
}

/** Drops a remembered value (an asynchronous computation that failed after it was kept). */
export function forget(kind: string, texts: string[]): void {
  memo.delete(keyOf(kind, texts));
}
