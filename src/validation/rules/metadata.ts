// metadata.name: present, a DNS-1123 name, and short enough for the names kokpit derives from it.
import { DNS1123_SUBDOMAIN } from '../../api/common';
import { patternMessage, withArticle } from '../messages';
import { obj, type Rule } from './context';

/** Why a kind's names are shorter than 63: the longest names kokpit derives from them. */
const DERIVED_NAMES: Record<string, string> = {
  EtcdCluster: '"<name>-client" and the member pods "<name>-<n>" with their revision labels',
  BusinessCluster: '"<name>-controller-manager" and the managed etcd cluster "<name>-etcd" with its members',
  MachineSet: 'the machines "<name>-<5 random characters>"',
};

const patterns = new Map<string, RegExp>();

export const metadataRules: Rule = (ctx) => {
  const info = ctx.info;
  if (!info) return;
  const meta = obj(ctx.value.metadata);
  if (!meta) return; // a missing metadata is a schema finding already
  if (info.scope === 'Cluster' && info.crd && typeof meta.namespace === 'string') {
    ctx.report(
      ['metadata', 'namespace'],
      'key',
      'warning',
      'cluster-scoped-namespace',
      `${info.kind} is cluster-scoped: metadata.namespace is ignored; remove it`,
    );
  }
  const name = meta.name;
  if (name === undefined || name === null) {
    if (typeof meta.generateName === 'string') return;
    ctx.report(
      ['metadata'],
      'key',
      'error',
      'name-required',
      `metadata.name is required: give the ${info.kind} a name, e.g. "name: my-${info.kind.toLowerCase()}"`,
    );
    return;
  }
  if (typeof name !== 'string') return; // the schema walk reported the type
  let pattern = patterns.get(info.namePattern);
  if (!pattern) patterns.set(info.namePattern, (pattern = new RegExp(info.namePattern)));
  if (!pattern.test(name)) {
    const noDots = info.namePattern === DNS1123_SUBDOMAIN ? '' : ' (no dots: it becomes part of Service and label names)';
    ctx.report(['metadata', 'name'], 'value', 'error', 'name-format', `metadata.name ${patternMessage(pattern, name)}${noDots}`);
  }
  if (name.length > info.maxNameLength) {
    const derived = DERIVED_NAMES[info.kind];
    const why = derived && info.maxNameLength < 63 ? ` so that derived names such as ${derived} stay within 63 characters` : '';
    ctx.report(
      ['metadata', 'name'],
      'value',
      'error',
      'name-too-long',
      `metadata.name is ${name.length} characters; ${withArticle(info.kind)} name may have at most ${info.maxNameLength}${why}. ` +
        `Shorten it by ${name.length - info.maxNameLength}`,
    );
  }
};
