// "Apply Current File", the parts that need no editor: refuse a file with validation errors (pointing at the first
// one), pick out the kokpit documents, apply them one by one and describe the outcome in one sentence each.
// No vscode here; the command feeds it the document text and an `apply` bound to the meta cluster.
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { API_VERSION } from '../../api';
import { describeKubeError } from '../../kube';
import { checkText, validateText, type Diagnostic, type ValidateOptions } from '../../validation';

const KOKPIT_GROUP = API_VERSION.split('/')[0];

export interface ApplyPlan {
  objects: KubernetesObject[];
  /** Documents that are not kokpit's (e.g. a ConfigMap next to a BusinessCluster): left alone, and said so. */
  skipped: string[];
}

export class RefusedError extends Error {
  override name = 'RefusedError';
}

/** `Kind ns/name` (namespace only when given). */
export function objectLabel(o: { kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${o.kind ?? '(no kind)'} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '(no name)'}`;
}

export function isKokpitObject(o: { apiVersion?: unknown }): boolean {
  return typeof o.apiVersion === 'string' && o.apiVersion.split('/')[0] === KOKPIT_GROUP;
}

/** Validates `text` and returns what to apply; throws a RefusedError naming `file:line:col` of the first error. */
export function planApply(text: string, file: string, opts: ValidateOptions = {}): ApplyPlan {
  refuseErrors(validateText(text, opts), file);
  const objects: KubernetesObject[] = [];
  const skipped: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    const value = doc.toJS() as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const obj = value as KubernetesObject;
    if (isKokpitObject(obj)) objects.push(obj);
    else skipped.push(objectLabel(obj));
  }
  if (objects.length === 0) throw new RefusedError(`${file} holds no kokpit document (apiVersion ${API_VERSION}); nothing was applied`);
  return { objects, skipped };
}

/** Throws a RefusedError naming the first error, if there is one. */
function refuseErrors(found: readonly Diagnostic[], file: string): void {
  const errors = found.filter((d) => d.severity === 'error');
  if (!errors.length) return;
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
  throw new RefusedError(`${file}:${first.line}:${first.column}: ${first.message}${more}; nothing was applied`);
}

/** One document of `text` (0-based `index`, as the CodeLens gives it), validated: only that document's errors
 *  refuse it. Returns the object exactly as validated. */
export function planDocument(text: string, file: string, index: number, opts: ValidateOptions = {}): KubernetesObject {
  const checked = checkText(text, opts);
  refuseErrors(
    checked.diagnostics.filter((d) => d.document === index),
    file,
  );
  const value = checked.documents[index] as KubernetesObject | undefined;
  if (!value || typeof value !== 'object' || Array.isArray(value) || !isKokpitObject(value))
    throw new RefusedError(`${file}: document ${index + 1} is not a kokpit document (apiVersion ${API_VERSION}); nothing was applied`);
  return value;
}

export interface ApplyOutcome {
  applied: string[];
  /** The first failure: the apiserver's message for that object. Later documents are not attempted. */
  failure?: { object: string; message: string };
}

/** Applies in file order and stops at the first failure, so the outcome names exactly what reached the cluster. */
export async function applyAll(
  objects: readonly KubernetesObject[],
  apply: (obj: KubernetesObject) => Promise<KubernetesObject>,
  onStep: (message: string) => void = () => undefined,
  signal?: AbortSignal,
): Promise<ApplyOutcome> {
  const applied: string[] = [];
  for (const [i, obj] of objects.entries()) {
    if (signal?.aborted) return { applied, failure: { object: objectLabel(obj), message: 'cancelled before it was applied' } };
    onStep(`${objectLabel(obj)} (${i + 1}/${objects.length})`);
    try {
      applied.push(objectLabel(await apply(obj)));
    } catch (e) {
      return { applied, failure: { object: objectLabel(obj), message: describeKubeError(e) } };
    }
  }
  return { applied };
}

/** One message for a notification: what was applied, and what failed with the server's reason. */
export function describeOutcome(outcome: ApplyOutcome, context: string): string {
  const list = (xs: string[]) => xs.join(', ');
  if (!outcome.failure) return `applied ${list(outcome.applied)} to ${context}`;
  const done = outcome.applied.length ? ` (applied before it: ${list(outcome.applied)})` : ' (nothing was applied)';
  return `applying ${outcome.failure.object} to ${context} failed: ${outcome.failure.message}${done}`;
}
