// Names of Components and Addons: defined in the same file, passed in as known, or else a warning
// (the object would wait for a definition that may never come).
import { didYouMean } from '../messages';
import { formatPath, type PathSegment } from '../types';
import { arr, obj, valueAt, type RuleContext } from './context';

export function checkReferences(ctx: RuleContext, listPath: readonly PathSegment[], what: 'Component' | 'Addon', field?: string): void {
  const list = arr(valueAt(ctx.value, listPath));
  if (!list) return;
  const known = what === 'Component' ? ctx.known.components : ctx.known.addons;
  list.forEach((item, i) => {
    const name = field ? obj(item)?.[field] : item;
    if (typeof name !== 'string' || known.has(name)) return;
    const path = field ? [...listPath, i, field] : [...listPath, i];
    const guess = didYouMean(name, known);
    const knownText = known.size ? ` (known: ${[...known].sort().join(', ')})` : '';
    ctx.report(
      path,
      'value',
      'warning',
      what === 'Component' ? 'unknown-component' : 'unknown-addon',
      `${formatPath(path)}: ${what} "${name}" is neither defined in this file nor a ` +
        `known ${what.toLowerCase()}${knownText}${guess ? `; did you mean "${guess}"?` : ''} — it must exist before this ` +
        `object can be reconciled`,
    );
  });
}
