// Addon definitions: a parameter's default must fit the parameter's declared type; a name with dots (one version of
// an addon, `coredns-1.12.1`) says which addon it is in spec.name, since clusters refer to addons by DNS-1123 labels.
import { DNS1123_LABEL } from '../../api/common';
import { formatPath } from '../types';
import { quote } from '../messages';
import { arr, obj, valueAt, type RuleContext } from './context';
import { parseCidr, parseIp } from './network';

const EXAMPLES: Record<string, string> = {
  string: '"text"',
  integer: '2',
  number: '0.5',
  boolean: 'true',
  ip: '10.96.0.10',
  cidr: '10.96.0.0/12',
};

const ADDON_LABEL = new RegExp(DNS1123_LABEL);

export function checkAddon(ctx: RuleContext): void {
  const name = valueAt(ctx.value, ['metadata', 'name']);
  const specName = valueAt(ctx.value, ['spec', 'name']);
  if (typeof name === 'string' && name.includes('.') && specName === undefined) {
    ctx.report(
      ['metadata', 'name'],
      'value',
      'error',
      'addon-version-name',
      `metadata.name "${name}" has dots, so it cannot be the addon's own name (clusters name addons by DNS-1123 labels): ` +
        `an Addon named like a version says its addon in spec.name, e.g. "name: ${addonGuess(name)}"`,
    );
  }
  const params = arr(valueAt(ctx.value, ['spec', 'parameters']));
  params?.forEach((p, i) => {
    const param = obj(p);
    if (!param || !('default' in param) || param.default === null) return;
    const type = typeof param.type === 'string' ? param.type : 'string';
    if (!(type in EXAMPLES) || fits(type, param.default)) return;
    const path = ['spec', 'parameters', i, 'default'];
    const quoted = type === 'string' || type === 'ip' || type === 'cidr';
    const hint =
      quoted && (typeof param.default === 'number' || typeof param.default === 'boolean') ? ` — quote it: "${param.default}"` : '';
    ctx.report(
      path,
      'value',
      'error',
      'parameter-default',
      `${formatPath(path)} ${quote(param.default)} does not fit the parameter's type "${type}": ` +
        `write ${article(type)} like ${EXAMPLES[type]}${hint}`,
    );
  });
}

function fits(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'ip':
      return typeof v === 'string' && typeof parseIp(v) !== 'string';
    case 'cidr':
      return typeof v === 'string' && typeof parseCidr(v) !== 'string';
    default:
      return true;
  }
}

function article(type: string): string {
  return (
    { string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', ip: 'an IP address', cidr: 'a CIDR' }[
      type
    ] ?? type
  );
}

/** `coredns-1.12.1` → `coredns`: the name before the version, for the hint. */
function addonGuess(name: string): string {
  const guess = name.replace(/[-.]?v?\d+(\.\d+)*.*$/, '');
  return ADDON_LABEL.test(guess) ? guess : 'my-addon';
}
