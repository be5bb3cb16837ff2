// Hostile YAML texts for the hostile-input tests (engine, editor, bundled CLI) and the bench.

const HEADER = 'apiVersion: kokpit.dev/v1alpha1\nkind: BusinessCluster\nmetadata:\n  name: hostile\n';

/** `- - - … x`: `levels` nested block sequences on one line (2 bytes a level). */
export function nestedDashes(levels: number): string {
  return `${'- '.repeat(levels)}x\n`;
}

/** `[[[…]]]`: `levels` nested flow sequences. */
export function nestedBrackets(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}\n`;
}

/** A kokpit document whose spec.addons is nested `levels` deep by indentation (the fast reader's own syntax). */
export function nestedIndented(levels: number): string {
  let out = `${HEADER}spec:\n  addons:\n`;
  for (let i = 0; i < levels; i++) out += `${'  '.repeat(i + 2)}-\n`;
  return out + `${'  '.repeat(levels + 2)}x\n`;
}

/** The billion laughs: ten anchors, each a list of nine aliases to the one before (9^9 strings when expanded). */
export function billionLaughs(): string {
  const names = 'abcdefghij';
  let out = `${HEADER}spec:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n`;
  for (let i = 1; i < names.length; i++)
    out += `  ${names[i]}: &${names[i]} [${Array(9)
      .fill(`*${names[i - 1]}`)
      .join(',')}]\n`;
  return out;
}

/** One anchored list of `items` strings and `aliases` aliases to it: small text, large expansion. */
export function aliasFan(aliases: number, items: number): string {
  const list = Array.from({ length: items }, (_, i) => `i${i}`).join(', ');
  return `${HEADER}spec:\n  version: v1.32.13\n  big: &big [${list}]\n  copies:\n${'    - *big\n'.repeat(aliases)}`;
}

/** A mapping of `keys` distinct keys under metadata.labels (linear-time checks stay fast). */
export function manyKeys(keys: number): string {
  let out = `${HEADER.replace('  name: hostile\n', '  name: hostile\n  labels:\n')}`;
  for (let i = 0; i < keys; i++) out += `    k${i}: v\n`;
  return out + 'spec:\n  version: v1.32.13\n  etcd:\n    managed: {}\n';
}
