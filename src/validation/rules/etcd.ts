// etcd topology: odd member counts, and exactly one way for a business cluster to get its etcd.
import { formatPath, type PathSegment } from '../types';
import { didYouMean } from '../messages';
import { obj, valueAt, type RuleContext } from './context';
import { EtcdMemberCount } from '../../api/etcd';

const MEMBER_COUNTS: readonly number[] = (EtcdMemberCount as unknown as { enum: number[] }).enum;

/** etcd needs a majority to write: n members survive floor((n-1)/2) failures, so an even count buys
 *  nothing over the odd count below it and adds one more member every write waits for. */
export function checkEtcdReplicas(ctx: RuleContext, path: readonly PathSegment[]): void {
  const n = valueAt(ctx.value, path);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 2 || n % 2 !== 0) return;
  const tolerated = Math.floor((n - 1) / 2);
  const suggestion = n >= 6 ? '3 (or 5 to survive two failures)' : '3';
  ctx.report(
    path,
    'value',
    'error',
    'even-replicas',
    `${formatPath(path)} is ${n}: an even number of etcd members tolerates no more failures than ${n - 1} (both survive ${tolerated}) ` +
      `and adds a member every write must wait for; use ${suggestion}`,
    ['enum'],
    { value: n, choices: oddChoices(n) },
  );
}

/** The odd counts next to an even `n` that the schema allows, one more member first (it keeps the capacity asked
 *  for); past the largest allowed count, that one. */
export function oddChoices(n: number): number[] {
  const near = [n + 1, n - 1].filter((c) => MEMBER_COUNTS.includes(c));
  return near.length ? near : [Math.max(...MEMBER_COUNTS)];
}

/** `has(self.clusterRef) != has(self.managed)` — the CEL rule the CRD carries, with a message that explains the choice. */
export function checkEtcdBinding(ctx: RuleContext, path: readonly PathSegment[]): void {
  const etcd = obj(valueAt(ctx.value, path));
  if (!etcd) return;
  const shared = etcd.clusterRef !== undefined && etcd.clusterRef !== null;
  const managed = etcd.managed !== undefined && etcd.managed !== null;
  const at = formatPath(path);
  if (shared && managed) {
    ctx.report(
      path,
      'key',
      'error',
      'etcd-binding',
      `set exactly one of ${at}.clusterRef (share an existing EtcdCluster) or ${at}.managed (a dedicated one), not both`,
    );
  } else if (!shared && !managed) {
    // A misspelt "manged:" already got an unknown-field error that names the fix.
    if (Object.keys(etcd).some((k) => didYouMean(k, ['clusterRef', 'managed']))) return;
    ctx.report(
      path,
      'key',
      'error',
      'etcd-binding',
      `${at} needs exactly one of clusterRef (share an existing EtcdCluster) or managed (a dedicated one), e.g. "managed: {replicas: 3}"`,
    );
  }
}
