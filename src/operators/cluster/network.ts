// Address arithmetic for the cluster's service and pod ranges (IPv4 and IPv6), with messages a user can act on.
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  text: string;
  family: 4 | 6;
  /** First address of the range. */
  base: bigint;
  prefix: number;
}

const bitsOf = (family: 4 | 6) => (family === 4 ? 32 : 128);

export function parseIP(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(ip)) return { family: 4, value: ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (isIPv6(ip)) {
    if (ip.includes('.')) return undefined; // IPv4-mapped forms are not used for cluster ranges
    const [head, tail] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
  }
  return undefined;
}

export function formatIP(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Shorten the longest run of zero groups, as RFC 5952 asks.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/** Parses `a.b.c.d/n` (or IPv6); throws an Error whose message names the field. */
export function parseCIDR(text: string, field = 'CIDR'): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const ip = m ? parseIP(m[1]) : undefined;
  if (!m || !ip) throw new Error(`${field} "${text}" is not a CIDR such as 10.96.0.0/12`);
  const prefix = Number(m[2]);
  const bits = bitsOf(ip.family);
  if (prefix > bits) throw new Error(`${field} "${text}" has a prefix longer than ${bits} bits`);
  const hostBits = BigInt(bits - prefix);
  const base = (ip.value >> hostBits) << hostBits;
  if (base !== ip.value) throw new Error(`${field} "${text}" has host bits set; did you mean ${formatIP(ip.family, base)}/${prefix}?`);
  return { text, family: ip.family, base, prefix };
}

export function size(c: Cidr): bigint {
  return 1n << BigInt(bitsOf(c.family) - c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function contains(c: Cidr, ip: string): boolean {
  const p = parseIP(ip);
  return !!p && p.family === c.family && p.value >= c.base && p.value < c.base + size(c);
}

/** The n-th address of the range (n = 1 is the first usable one). */
export function nthAddress(c: Cidr, n: number): string {
  if (BigInt(n) >= size(c)) throw new Error(`${c.text} has fewer than ${n + 1} addresses`);
  return formatIP(c.family, c.base + BigInt(n));
}

/** Well-known addresses in the service range, as kubeadm assigns them. */
export function serviceAddresses(serviceCIDR: Cidr): { kubernetes: string; dns: string } {
  return { kubernetes: nthAddress(serviceCIDR, 1), dns: nthAddress(serviceCIDR, 10) };
}

export interface NetworkProblem {
  field: string;
  message: string;
}

/** Checks the cluster's ranges; returns every problem, not just the first. */
export function checkNetwork(net: { serviceCIDR: string; podCIDR: string }): { problems: NetworkProblem[]; service?: Cidr; pod?: Cidr } {
  const problems: NetworkProblem[] = [];
  const parse = (field: string, text: string) => {
    try {
      return parseCIDR(text, field);
    } catch (e) {
      problems.push({ field, message: (e as Error).message });
      return undefined;
    }
  };
  const service = parse('spec.network.serviceCIDR', net.serviceCIDR);
  const pod = parse('spec.network.podCIDR', net.podCIDR);
  if (service && size(service) < 16n)
    problems.push({
      field: 'spec.network.serviceCIDR',
      message: `spec.network.serviceCIDR "${service.text}" is too small: it needs at least 16 addresses (the DNS Service takes the 10th)`,
    });
  if (service && pod && overlaps(service, pod)) {
    problems.push({
      field: 'spec.network',
      message: `spec.network.serviceCIDR ${service.text} overlaps spec.network.podCIDR ${pod.text}; choose disjoint ranges`,
    });
  }
  if (service && pod && service.family !== pod.family)
    problems.push({
      field: 'spec.network',
      message: `spec.network.serviceCIDR ${service.text} and spec.network.podCIDR ${pod.text} are of different IP families`,
    });
  return { problems, service, pod };
}
