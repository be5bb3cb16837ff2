// `kokpit upgrade <cluster> --to <version>`: checks the target against the meta cluster's version
// catalog (no downgrades), sets spec.version, then follows the reconciler's status (upgrade step,
// component versions, conditions) until the whole control plane runs the target and is Ready.
// spec.version is set with a merge patch under the CLI's own field manager, so it never fights the
// reconciler's 'kokpit' manager (which owns status, not spec).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, terminalClusterCondition, type BusinessClusterStatus, type KubernetesVersion } from '../../api';
import { describeKubeError, listObjects, makeObjectApi, readObject } from '../../kube';
import { patchKokpitObject } from '../../actions/fleet-requests';
import type { JsonPatchOp } from '../../actions/fleet-actions';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { checkCatalog, compareVersions, parseVersion } from '../../operators/cluster/versions';
import { EXIT, UsageError, type Command } from '../command';

export const UPGRADE_FIELD_MANAGER = 'kokpit-cli';

type ClusterObject = KubernetesObject & { spec?: { version?: string }; status?: BusinessClusterStatus };

/** `20m`, `90s`, `1h`, `1h30m`, or plain seconds. */
export function parseDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const re = /(\d+)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
    consumed += m[0].length;
  }
  if (!consumed || consumed !== text.length) throw new UsageError(`--timeout must be a duration such as 20m, 90s or 1h30m, got "${text}"`);
  return total;
}

/** Whether `target` may be requested for `bc` given the catalog; the message says why not. */
export function checkUpgradeTarget(
  bc: ClusterObject,
  target: string,
  catalog: KubernetesVersion[],
): { ok: true; note?: string } | { ok: false; message: string } {
  if (!parseVersion(target)) return { ok: false, message: `--to must be a version such as v1.33.13, got "${target}"` };
  const verdict = checkCatalog(target, catalog);
  if (!verdict.ok) return { ok: false, message: verdict.message };
  for (const [what, v] of [
    ['runs', bc.status?.version],
    ['asks for', bc.spec?.version],
  ] as const) {
    if (v && compareVersions(target, v) < 0) {
      return { ok: false, message: `${target} is older than the ${v} the cluster ${what}; downgrades are not supported` };
    }
  }
  return { ok: true, ...(verdict.release.state === 'Preview' ? { note: `${target} is a Preview version` } : {}) };
}

/** One line describing where the upgrade stands; printed whenever it changes. */
export function describeProgress(st: BusinessClusterStatus | undefined): string {
  if (!st) return 'waiting for the operator to report status';
  const parts: string[] = [st.phase ?? 'no phase'];
  if (st.upgrade?.step) parts.push(st.upgrade.step);
  const comps = (st.components ?? []).map(
    (c) => `${c.name.replace(/^kube-/, '')} ${c.version ?? '?'} ${c.readyReplicas ?? 0}/${c.replicas ?? 1}`,
  );
  if (comps.length) parts.push(comps.join(', '));
  const bad = (st.conditions ?? []).filter((c) => c.type !== 'Ready' && c.status === 'False');
  if (bad.length) parts.push(bad.map((c) => `${c.type}=False (${c.reason})`).join(', '));
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  if (ready) parts.push(`Ready=${ready.status}`);
  return parts.join(' · ');
}

export type UpgradeVerdict = { state: 'done' } | { state: 'failed'; message: string } | { state: 'waiting'; waitingFor: string };

/** Pure: is the upgrade to `target` done, failed for good, or still in progress (and on what)? */
export function upgradeVerdict(bc: ClusterObject, target: string): UpgradeVerdict {
  const st = bc.status;
  const gen = bc.metadata?.generation ?? 0;
  const ready = st?.conditions?.find((c) => c.type === 'Ready');
  const observed = (st?.observedGeneration ?? 0) >= gen;
  const current = (c: { observedGeneration?: number }) => (c.observedGeneration ?? 0) >= gen;
  const terminal = terminalClusterCondition(st?.conditions, gen);
  if (terminal) return { state: 'failed', message: `${terminal.type}: ${terminal.message ?? terminal.reason}` };
  if (st?.version === target && ready?.status === 'True' && current(ready) && observed) return { state: 'done' };
  const waits: string[] = [];
  if (st?.version !== target) waits.push(`status.version ${target} (now ${st?.version ?? 'unset'})`);
  if (ready?.status !== 'True' || !current(ready)) {
    const now = ready ? ` (now ${ready.status}${ready.reason ? `, ${ready.reason}` : ''}${ready.message ? `: ${ready.message}` : ''})` : '';
    waits.push(`Ready=True${now}`);
  }
  if (!observed) waits.push(`observedGeneration ${gen} (now ${st?.observedGeneration ?? 'unset'})`);
  return { state: 'waiting', waitingFor: waits.join('; ') };
}

export interface UpgradeOptions {
  kc: KubeConfig;
  name: string;
  namespace: string;
  to: string;
  timeoutMs?: number;
  wait?: boolean;
  /** A terminal condition must be seen this long (ms) before giving up: the operator may not have re-read the spec yet. */
  failAfterMs?: number;
  pollMs?: number;
  progress?: (line: string) => void;
}

export interface UpgradeResult {
  ok: boolean;
  message: string;
  elapsedMs: number;
  /** Whether spec.version was changed by this call. */
  patched: boolean;
}

/**
 * Sets spec.version from `from` to `to`, guarded on spec.version alone (a JSON patch `test`): a concurrent change of the
 * version is refused, not overwritten ("changed meanwhile: spec.version is now …"), while the operator's status writes
 * in between, which move resourceVersion, are no conflict. (A resourceVersion precondition failed the kind e2e's
 * upgrade with 409 when a status write came between the read and the patch.)
 */
export async function setClusterVersion(
  kc: KubeConfig,
  c: { namespace: string; name: string },
  from: string | undefined,
  to: string,
): Promise<KubernetesObject> {
  const ops: JsonPatchOp[] =
    from === undefined
      ? [{ op: 'add', path: '/spec/version', value: to }]
      : [
          { op: 'test', path: '/spec/version', value: from },
          { op: 'replace', path: '/spec/version', value: to },
        ];
  return (await patchKokpitObject(kc, { kind: 'BusinessCluster', ...c }, ops, UPGRADE_FIELD_MANAGER)) as KubernetesObject;
}

/* eslint-disable-next-line max-lines-per-function -- the upgrade's steps in order (check, request, wait for each minor), each printing
   its progress */
export async function upgradeCluster(o: UpgradeOptions): Promise<UpgradeResult> {
  const t0 = Date.now();
  const objects = makeObjectApi(o.kc);
  const ref = { apiVersion: API_VERSION, kind: 'BusinessCluster', metadata: { name: o.name, namespace: o.namespace } };
  const bc = await readObject<ClusterObject>(objects, ref);
  if (!bc) throw new Error(`no BusinessCluster ${o.namespace}/${o.name}`);
  const catalog = await listObjects<KubernetesVersion & KubernetesObject>(objects, API_VERSION, 'KubernetesVersion');
  const check = checkUpgradeTarget(bc, o.to, catalog);
  if (!check.ok) return { ok: false, message: check.message, elapsedMs: Date.now() - t0, patched: false };
  const progress = o.progress ?? (() => {});
  if (check.note) progress(check.note);

  let patched = false;
  let generation = bc.metadata?.generation ?? 0;
  if (bc.spec?.version !== o.to) {
    const after = await setClusterVersion(o.kc, { namespace: o.namespace, name: o.name }, bc.spec?.version, o.to);
    generation = after.metadata?.generation ?? generation + 1;
    patched = true;
    progress(`[0s] spec.version ${bc.spec?.version ?? '(unset)'} → ${o.to}`);
  } else {
    progress(`[0s] spec.version is already ${o.to}; following status`);
  }
  if (o.wait === false)
    return {
      ok: true,
      message: `spec.version of ${o.namespace}/${o.name} set to ${o.to}; not waiting`,
      elapsedMs: Date.now() - t0,
      patched,
    };

  const timeoutMs = o.timeoutMs ?? 20 * 60_000;
  const failAfterMs = o.failAfterMs ?? 10_000;
  const pollMs = o.pollMs ?? 1000;
  let lastLine = '';
  let failingSince: number | undefined;
  let lastWait = 'the operator to report status';
  const secs = () => `${Math.round((Date.now() - t0) / 1000)}s`;
  for (;;) {
    let live: ClusterObject | undefined;
    let gone = false;
    try {
      live = await readObject<ClusterObject>(objects, ref);
      gone = !live;
    } catch (e) {
      // A meta apiserver hiccup is not a failed upgrade: keep following until the deadline.
      progress(`[${secs()}] reading status failed: ${describeKubeError(e)}`);
    }
    if (gone) {
      return {
        ok: false,
        message: `BusinessCluster ${o.namespace}/${o.name} disappeared during the upgrade`,
        elapsedMs: Date.now() - t0,
        patched,
      };
    }
    if (live) {
      // A patch made by someone else after ours moves the generation: follow the newest.
      if ((live.metadata?.generation ?? 0) < generation) live = { ...live, metadata: { ...live.metadata, generation } };
      const line = describeProgress(live.status);
      if (line !== lastLine) {
        progress(`[${secs()}] ${line}`);
        lastLine = line;
      }
      const v = upgradeVerdict(live, o.to);
      if (v.state === 'done') {
        return { ok: true, message: `${o.namespace}/${o.name} runs ${o.to} and is Ready (${secs()})`, elapsedMs: Date.now() - t0, patched };
      }
      if (v.state === 'failed') {
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= failAfterMs)
          return { ok: false, message: `upgrade to ${o.to} failed: ${v.message}`, elapsedMs: Date.now() - t0, patched };
      } else {
        failingSince = undefined;
        lastWait = v.waitingFor;
      }
    }
    if (Date.now() - t0 >= timeoutMs) {
      return {
        ok: false,
        message: `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${lastWait}`,
        elapsedMs: Date.now() - t0,
        patched,
      };
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, timeoutMs - (Date.now() - t0)))));
  }
}

export const upgradeCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [
      ...META_FLAGS,
      { name: 'to', value: true },
      { name: 'namespace', short: 'n', value: true },
      { name: 'timeout', value: true },
      { name: 'no-wait' },
    ]);
    if (p.positionals.length !== 1) throw new UsageError('give exactly one business cluster name');
    const to = str(p, 'to');
    if (!to) throw new UsageError('give the target version with --to VERSION');
    const timeoutMs = parseDuration(str(p, 'timeout') ?? '20m');
    const namespace = str(p, 'namespace') ?? 'default';
    const { kc } = metaCluster(p);
    const r = await upgradeCluster({
      kc,
      name: p.positionals[0],
      namespace,
      to,
      timeoutMs,
      wait: p.flags['no-wait'] !== true,
      progress: io.progress,
    });
    if (r.ok) io.out(r.message);
    else io.err(`kokpit upgrade: ${r.message}`);
    return r.ok ? EXIT.OK : EXIT.FAILED;
  },
};
