// Addons: an Addon definition's manifests, with `{{ .cluster.* }}`, `{{ .images.* }}` and
// `{{ .params.* }}` replaced. Parameters are type-checked first, so a wrong value is reported
// with its name and nothing is applied. Deliberately tiny: substitution, plus `| quote`.
import { isIP } from 'node:net';
import { parseAllDocuments } from 'yaml';
import type { Addon, AddonParameter, KubernetesVersionSpec } from '../../../api';
import { parseCIDR } from '../network';
import type { KubeObject } from './common';

export const ADDON_LABEL = 'kokpit.dev/addon';

export interface AddonFacts {
  cluster: {
    name: string;
    namespace: string;
    version: string;
    endpoint: string;
    serviceCIDR: string;
    podCIDR: string;
    dnsDomain: string;
    dnsServiceIP: string;
    kubernetesServiceIP: string;
    /** egress Konnectivity only: where agents dial the konnectivity-server (render/konnectivity.ts). */
    konnectivityServerHost?: string;
    konnectivityServerPort?: number;
  };
  images: KubernetesVersionSpec['images'];
}

export type AddonErrorReason =
  'InvalidAddonParameter' | 'AddonTemplateError' | 'AddonNotFound' | 'AddonVersionNotFound' | 'AddonVersionAmbiguous';

export class AddonError extends Error {
  constructor(
    readonly addon: string,
    message: string,
    readonly reason: AddonErrorReason,
  ) {
    super(message);
    this.name = 'AddonError';
  }
}

function typeProblem(p: AddonParameter, v: unknown): string | undefined {
  const type = p.type ?? 'string';
  const got = `${Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v} ${JSON.stringify(v)}`;
  switch (type) {
    case 'string':
      return typeof v === 'string' ? undefined : `must be a string, got ${got}`;
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) ? undefined : `must be an integer, got ${got}`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `must be a number, got ${got}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `must be a boolean, got ${got}`;
    case 'ip':
      return typeof v === 'string' && isIP(v) ? undefined : `must be an IP address, got ${got}`;
    case 'cidr':
      try {
        if (typeof v !== 'string') throw new Error();
        parseCIDR(v);
        return undefined;
      } catch {
        return `must be a CIDR such as 10.0.0.0/8, got ${got}`;
      }
  }
}

/** The values of every declared parameter (given or default); throws an AddonError naming each bad one. */
export function resolveParameters(addon: Addon, given: Record<string, unknown> = {}): Record<string, unknown> {
  const name = addon.spec.name ?? addon.metadata.name; // the addon, not the object of one of its versions
  const declared = addon.spec.parameters ?? [];
  const problems: string[] = [];
  for (const key of Object.keys(given).sort()) {
    if (!declared.some((p) => p.name === key)) {
      problems.push(`unknown parameter "${key}" (declared: ${declared.map((p) => p.name).join(', ') || 'none'})`);
    }
  }
  const values: Record<string, unknown> = {};
  for (const p of declared) {
    const v = p.name in given ? given[p.name] : p.default;
    if (v === undefined) {
      if (p.required) problems.push(`parameter "${p.name}" is required`);
      continue;
    }
    const problem = typeProblem(p, v);
    if (problem) problems.push(`parameter "${p.name}" (${p.type ?? 'string'}) ${problem}`);
    else values[p.name] = v;
  }
  if (problems.length) throw new AddonError(name, `addon ${name}: ${problems.join('; ')}`, 'InvalidAddonParameter');
  return values;
}

const PLACEHOLDER = /\{\{(.*?)\}\}/g;
const EXPRESSION = /^\s*\.(cluster|images|params)\.([A-Za-z][A-Za-z0-9_]*)\s*(\|\s*quote\s*)?$/;

/** Renders the manifests; every object gets the addon label. Throws AddonError on any template or YAML problem. */
export function renderAddon(addon: Addon, facts: AddonFacts, params: Record<string, unknown>): KubeObject[] {
  const name = addon.spec.name ?? addon.metadata.name;
  const scopes: Record<string, Record<string, unknown>> = { cluster: facts.cluster, images: facts.images, params };
  const problems: string[] = [];
  const text = addon.spec.manifests.replace(PLACEHOLDER, (whole, expr: string, offset: number) => {
    const line = addon.spec.manifests.slice(0, offset).split('\n').length;
    const m = EXPRESSION.exec(expr);
    if (!m) {
      problems.push(
        `line ${line}: unsupported expression ${whole.trim()} (use {{ .cluster.x }}, {{ .images.x }} or {{ .params.x ` +
          `}}, optionally | quote)`,
      );
      return '';
    }
    const [, scope, key, quote] = m;
    const value = scopes[scope][key];
    if (value === undefined) {
      const known = Object.keys(scopes[scope]).sort().join(', ');
      problems.push(`line ${line}: ${whole.trim()} is not defined (${scope} has: ${known || 'nothing'})`);
      return '';
    }
    return quote ? JSON.stringify(String(value)) : String(value);
  });
  if (problems.length) throw new AddonError(name, `addon ${name}: ${problems.join('; ')}`, 'AddonTemplateError');

  const objects: KubeObject[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length)
      throw new AddonError(
        name,
        `addon ${name}: document ${i + 1} is not valid YAML after rendering: ${doc.errors[0].message}`,
        'AddonTemplateError',
      );
    const obj = doc.toJSON() as KubeObject | null;
    if (obj === null || obj === undefined) continue;
    if (typeof obj !== 'object' || !obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      throw new AddonError(name, `addon ${name}: document ${i + 1} needs apiVersion, kind and metadata.name`, 'AddonTemplateError');
    }
    obj.metadata.labels = { ...obj.metadata.labels, [ADDON_LABEL]: name, 'app.kubernetes.io/managed-by': 'kokpit' };
    objects.push(obj);
  }
  return objects;
}
