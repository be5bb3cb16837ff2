// Turn client-node failures into short, precise errors.
// client-node's ApiException message embeds the whole body and the response headers; ours carries the
// HTTP status, the Status reason and the server's message only, with anything that looks like key
// material redacted, so it is safe to show in a notification or a log.
import { ApiException } from '@kubernetes/client-node';

export interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    message: string,
    /** HTTP status, or 0 when the request never got an answer (connection refused, TLS failure, ...). */
    readonly statusCode: number,
    /** metav1.Status reason, e.g. NotFound, AlreadyExists, Invalid, Conflict, Forbidden. */
    readonly reason: string | undefined,
    readonly causes: StatusCause[] = [],
  ) {
    super(message);
  }
}

/** Replace PEM blocks and long base64 runs (certificates, keys, tokens, Secret data) with a marker. */
export function redactSecrets(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, '[redacted PEM]')
    .replace(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted token]')
    .replace(/[A-Za-z0-9+/]{64,}={0,2}/g, '[redacted]');
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: StatusCause[] };
}

function parseBody(body: unknown): StatusBody | undefined {
  if (body && typeof body === 'object') return body as StatusBody;
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const MAX_MESSAGE = 2000;

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}… (${s.length - MAX_MESSAGE} more characters)` : s;
}

/** Convert anything thrown by client-node (or fetch below it) into a KubeApiError; `what` says what was attempted. */
export function toKubeApiError(err: unknown, what?: string): KubeApiError {
  const prefix = what ? `${what}: ` : '';
  if (err instanceof KubeApiError) {
    return what ? new KubeApiError(prefix + err.message, err.statusCode, err.reason, err.causes) : err;
  }
  if (err instanceof ApiException) {
    const code = Number((err as ApiException<unknown>).code);
    const status = parseBody((err as ApiException<unknown>).body);
    const reason = status?.reason;
    const detail = status?.message ?? (typeof err.body === 'string' && err.body.trim() ? err.body.trim() : '(no message)');
    const causes = status?.details?.causes ?? [];
    const text = `${prefix}HTTP ${code}${reason ? ` ${reason}` : ''}: ${detail}`;
    return new KubeApiError(clip(redactSecrets(text)), code, reason, causes);
  }
  if (err instanceof Error) {
    // fetch failures hide the useful part (ECONNREFUSED, certificate errors) in `cause`.
    const cause = (err as Error & { cause?: unknown }).cause;
    const causeText =
      cause instanceof Error ? ` (${[(cause as NodeJS.ErrnoException).code, cause.message].filter(Boolean).join(': ')})` : '';
    return new KubeApiError(clip(redactSecrets(`${prefix}${err.message}${causeText}`)), 0, undefined);
  }
  return new KubeApiError(clip(redactSecrets(`${prefix}${String(err)}`)), 0, undefined);
}

/** A one-line, secret-free description of any error, for logs and UI. */
export function describeKubeError(err: unknown): string {
  return toKubeApiError(err).message;
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409;
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof KubeApiError) return err.statusCode;
  if (err instanceof ApiException) return Number(err.code);
  return undefined;
}
