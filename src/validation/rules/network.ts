// Address ranges: CIDR syntax (IPv4 and IPv6, dual-stack lists), overlaps, and NodePort ranges.
import type { PathSegment } from '../types';
import { formatPath } from '../types';
import { valueAt, type RuleContext } from './context';

export interface Cidr {
  family: 4 | 6;
  /** The address as an unsigned integer (32 or 128 bits). */
  address: bigint;
  prefix: number;
  text: string;
}

/** Parses one CIDR; returns a reason string when it is not one. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  if (slash < 0) return 'it has no prefix length (write it like 10.96.0.0/12 or fd00::/108)';
  const ip = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return `the prefix length "${prefixText}" is not a number`;
  const prefix = Number(prefixText);
  const parsed = parseIp(ip);
  if (typeof parsed === 'string') return parsed;
  const width = parsed.family === 4 ? 32 : 128;
  if (prefix > width) return `the prefix length of an IPv${parsed.family} range must be between 0 and ${width}`;
  return { ...parsed, prefix, text };
}

export function parseIp(ip: string): { family: 4 | 6; address: bigint } | string {
  if (ip.includes(':')) {
    const v6 = parseIpv6(ip);
    return v6 === undefined ? `"${ip}" is not an IPv6 address` : { family: 6, address: v6 };
  }
  const v4 = parseIpv4(ip);
  return v4 === undefined ? `"${ip}" is not an IPv4 address (four numbers 0–255, e.g. 10.96.0.0)` : { family: 4, address: v4 };
}

function parseIpv4(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    // Leading zeros are refused, as Go's net.ParseIP (which Kubernetes uses) refuses them.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

function parseIpv6(ip: string): bigint | undefined {
  let groups: string[];
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  // An embedded IPv4 tail (`::ffff:10.0.0.1`) counts as two groups.
  const last = (halves.length === 2 ? tail : head).at(-1);
  let v4tail: bigint | undefined;
  if (last?.includes('.')) {
    v4tail = parseIpv4(last);
    if (v4tail === undefined) return undefined;
    (halves.length === 2 ? tail : head).pop();
  }
  const explicit = head.length + tail.length + (v4tail !== undefined ? 2 : 0);
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    groups = [...head, ...new Array(8 - explicit).fill('0'), ...tail];
  } else {
    if (explicit !== 8) return undefined;
    groups = head;
  }
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  if (v4tail !== undefined) n = (n << 32n) | v4tail;
  return n;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const width = BigInt(a.family === 4 ? 32 : 128);
  const shift = width - BigInt(Math.min(a.prefix, b.prefix));
  return a.address >> shift === b.address >> shift;
}

/** Checks one field holding a CIDR or a comma-separated dual-stack pair; returns the parsed ranges. */
export function checkCidrField(ctx: RuleContext, path: readonly PathSegment[], value: string, what: string): Cidr[] | undefined {
  const out: Cidr[] = [];
  for (const part of value.split(',')) {
    const parsed = parseCidr(part.trim());
    if (typeof parsed === 'string') {
      ctx.report(path, 'value', 'error', 'cidr', `${formatPath(path)} "${value}" is not a valid ${what}: ${parsed}`);
      return undefined;
    }
    out.push(parsed);
  }
  if (out.length > 2 || (out.length === 2 && out[0].family === out[1].family)) {
    ctx.report(path, 'value', 'error', 'cidr', `${formatPath(path)} "${value}" may hold at most one IPv4 and one IPv6 range (dual-stack)`);
    return undefined;
  }
  return out;
}

/** Service and pod ranges of one cluster must not overlap: a Service IP would shadow a pod's address. */
export function checkNetworkRanges(
  ctx: RuleContext,
  service: { path: readonly PathSegment[]; value: string | undefined; fallback?: string },
  pods: { path: readonly PathSegment[]; value: string | undefined; fallback?: string },
  limitServiceSize: boolean,
): void {
  const svc = service.value !== undefined ? checkCidrField(ctx, service.path, service.value, 'service CIDR') : undefined;
  const pod = pods.value !== undefined ? checkCidrField(ctx, pods.path, pods.value, 'pod CIDR') : undefined;
  if (svc && limitServiceSize) {
    for (const c of svc) {
      const min = c.family === 4 ? 12 : 108;
      if (c.prefix < min) {
        ctx.report(
          service.path,
          'value',
          'error',
          'service-cidr-size',
          `${formatPath(service.path)} ${c.text} is too large: kube-apiserver accepts IPv${c.family} service ranges of /${min} or ` +
            `smaller, e.g. ${c.family === 4 ? '10.96.0.0/12' : 'fd00:10:96::/108'}`,
        );
      }
    }
  }
  if (
    (service.value === undefined && pods.value === undefined) ||
    (service.value !== undefined && !svc) ||
    (pods.value !== undefined && !pod)
  )
    return;
  const svcRanges = svc ?? fallback(service.fallback);
  const podRanges = pod ?? fallback(pods.fallback);
  for (const s of svcRanges) {
    for (const p of podRanges) {
      if (!overlaps(s, p)) continue;
      // Report on a field the user wrote: the pod range when set, else the service range.
      const [at, other] = pods.value !== undefined ? [pods, service] : [service, pods];
      const [mine, theirs] = at === pods ? [p, s] : [s, p];
      const otherName = formatPath(other.path) + (other.value === undefined ? ' (default)' : '');
      ctx.report(
        at.path,
        'value',
        'error',
        'cidr-overlap',
        `${formatPath(at.path)} ${mine.text} overlaps ${otherName} ${theirs.text}; the service and pod ranges must be disjoint, e.g. ` +
          `serviceCIDR 10.96.0.0/12 and podCIDR 10.244.0.0/16`,
      );
      return;
    }
  }
}

function fallback(text: string | undefined): Cidr[] {
  if (!text) return [];
  const parsed = parseCidr(text);
  return typeof parsed === 'string' ? [] : [parsed];
}

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export function checkNodePort(ctx: RuleContext, path: readonly PathSegment[]): void {
  const port = valueAt(ctx.value, path);
  if (typeof port !== 'number' || (port >= NODE_PORT_MIN && port <= NODE_PORT_MAX)) return;
  ctx.report(
    path,
    'value',
    'error',
    'node-port',
    `${formatPath(path)} ${port} is outside the NodePort range ${NODE_PORT_MIN}–${NODE_PORT_MAX}; ` +
      `pick a port in that range, or remove the field to let the meta cluster assign one`,
    ['minimum', 'maximum'],
  );
}
