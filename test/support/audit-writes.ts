// Writes counted by the API server, not by the code under test: a control plane started with `audit: true`
// logs every write (verb, user, user agent, object, response code) to its audit log, and this reads it back.
// A mark is a GET of AUDIT_MARK_PATH/<id> that the policy logs too: once the mark is in the file, so is every
// write answered before it was sent. Each kokpit operator's client sends its own User-Agent
// (`kokpitUserAgent` in src/kube), which is how a component's writes are told from the test's own.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { AUDIT_MARK_PATH, httpsGet, waitFor, type ControlPlane } from '../../src/controlplane';
import { kokpitUserAgent } from '../../src/kube';

/** The User-Agents of kokpit's operators, as their clients send them. */
export const AGENTS = {
  cluster: kokpitUserAgent('cluster-operator'),
  machine: kokpitUserAgent('machine-operator'),
  etcd: kokpitUserAgent('etcd-operator'),
  rollout: kokpitUserAgent('rollout-operator'),
} as const;

/** The fields of an audit.k8s.io/v1 Event (Metadata level) this reads. */
export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  userAgent?: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
  responseStatus?: { code?: number };
  /** When the API server received the request (RFC 3339 with microseconds). */
  requestReceivedTimestamp?: string;
  /** When it logged this stage (for ResponseComplete: when it answered). */
  stageTimestamp?: string;
  /** `authorization.k8s.io/decision` (allow/forbid) and `…/reason`, among others. */
  annotations?: Record<string, string>;
  /** Which API server logged it (the label given to AuditWrites), added here. */
  server?: string;
}

/** Milliseconds after `t0` (ms since the epoch) of an audit timestamp, microseconds kept as a fraction (benchmarks' timelines). */
export const msAfter = (t0: number, ts?: string): number => Number((Date.parse(ts ?? '') - t0 || 0).toFixed(1));

/** Which writes to count; every given field must match. */
export interface WriteFilter {
  /** Exact User-Agent, or a pattern (e.g. /^kokpit-/ for every kokpit component). */
  userAgent?: string | RegExp;
  user?: string;
  verbs?: string[];
  /** Plural resource, with `/subresource` to match one (`businessclusters/status`). */
  resource?: string;
  namespace?: string;
  name?: string;
  /** Leave these out (e.g. leases a manager renews on its own schedule). */
  except?: (e: AuditEvent) => boolean;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export interface AuditMark {
  /** Byte offset in the audit log just after the mark's event. */
  offset: number;
}

export class AuditWrites {
  constructor(
    private readonly cp: Pick<ControlPlane, 'server' | 'adminTLS' | 'auditLogPath' | 'dir'>,
    /** Names this API server in what describeWrites prints (`meta`, `business`). */
    readonly label?: string,
  ) {
    if (!cp.auditLogPath)
      throw new Error(`the control plane in ${cp.dir} was started without { audit: true }: no audit log to count writes from`);
  }

  /** Puts a mark in the log and waits until the API server has written it. */
  async mark(): Promise<AuditMark> {
    const id = randomUUID();
    await httpsGet(`${this.cp.server}${AUDIT_MARK_PATH}/${id}`, this.cp.adminTLS);
    const needle = Buffer.from(`${AUDIT_MARK_PATH}/${id}`);
    return waitFor(
      `audit mark ${id} in ${this.cp.auditLogPath}`,
      async () => {
        const text = fs.readFileSync(this.cp.auditLogPath!);
        const at = text.indexOf(needle);
        if (at < 0) return undefined;
        const end = text.indexOf('\n', at);
        return end < 0 ? undefined : { offset: end + 1 };
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );
  }

  /** The writes matching `filter` logged between `from` and a new mark put now. */
  async since(from: AuditMark, filter: WriteFilter = {}): Promise<AuditEvent[]> {
    return (await this.eventsSince(from)).filter((e) => e.stage === 'ResponseComplete' && WRITE_VERBS.has(e.verb) && matches(e, filter));
  }

  /**
   * Every request matching `filter` (reads too: the control plane must run with `audit: 'all'`), one event per
   * request: its last stage logged (a watch still open has only ResponseStarted).
   */
  async requestsSince(from: AuditMark, filter: WriteFilter = {}): Promise<AuditEvent[]> {
    const byID = new Map<string, AuditEvent>();
    for (const e of await this.eventsSince(from)) if (matches(e, filter)) byID.set(e.auditID, e);
    return [...byID.values()];
  }

  private async eventsSince(from: AuditMark): Promise<AuditEvent[]> {
    const to = await this.mark();
    const text = fs.readFileSync(this.cp.auditLogPath!).subarray(from.offset, to.offset).toString('utf8');
    return text
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => ({ ...(JSON.parse(line) as AuditEvent), ...(this.label ? { server: this.label } : {}) }));
  }

  /** The writes matching `filter` made while `fn` ran (and anything else that wrote meanwhile). */
  async during<T>(filter: WriteFilter, fn: () => Promise<T>): Promise<{ writes: AuditEvent[]; result: T }> {
    const from = await this.mark();
    const result = await fn();
    return { writes: await this.since(from, filter), result };
  }
}

/** Several API servers counted together (a meta cluster and a business cluster): their writes while `fn` ran. */
export async function writesDuring<T>(
  audits: AuditWrites[],
  filter: WriteFilter,
  fn: () => Promise<T>,
): Promise<{ writes: AuditEvent[]; result: T }> {
  const from = await Promise.all(audits.map((a) => a.mark()));
  const result = await fn();
  const writes = await Promise.all(audits.map((a, i) => a.since(from[i], filter)));
  return { writes: writes.flat(), result };
}

function matches(e: AuditEvent, f: WriteFilter): boolean {
  if (f.userAgent !== undefined && !(typeof f.userAgent === 'string' ? e.userAgent === f.userAgent : f.userAgent.test(e.userAgent ?? '')))
    return false;
  if (f.user !== undefined && e.user.username !== f.user) return false;
  if (f.verbs && !f.verbs.includes(e.verb)) return false;
  if (f.resource !== undefined && resourceOf(e) !== f.resource && e.objectRef?.resource !== f.resource) return false;
  if (f.namespace !== undefined && e.objectRef?.namespace !== f.namespace) return false;
  if (f.name !== undefined && e.objectRef?.name !== f.name) return false;
  return !f.except?.(e);
}

const resourceOf = (e: AuditEvent) => `${e.objectRef?.resource ?? '?'}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;

/** One line per write: `patch businessclusters/status bc-it/alpha 200 kokpit-cluster-operator/0.1.0`. */
export function describeWrites(writes: AuditEvent[]): string {
  if (!writes.length) return '(no writes)';
  return writes
    .map((e) => {
      const obj = [e.objectRef?.namespace, e.objectRef?.name].filter(Boolean).join('/');
      return (
        `  ${e.server ? `[${e.server}] ` : ''}${e.verb} ${resourceOf(e)} ${obj || e.requestURI} ` +
        `${e.responseStatus?.code ?? '?'} ${e.userAgent ?? '(no user agent)'}`
      );
    })
    .join('\n');
}

/** Asserts the number of writes, listing every one the API server logged when it differs. */
export function assertWriteCount(writes: AuditEvent[], expected: number, what: string): void {
  assert.equal(
    writes.length,
    expected,
    `${what}: ${writes.length} writes logged by the API server, expected ${expected}:\n${describeWrites(writes)}`,
  );
}

/** Writes per `verb resource` (the breakdown benchmarks print). */
export function writesByResource(writes: AuditEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of writes) out[`${e.verb} ${resourceOf(e)}`] = (out[`${e.verb} ${resourceOf(e)}`] ?? 0) + 1;
  return out;
}
