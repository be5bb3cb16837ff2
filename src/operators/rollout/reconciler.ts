// The FleetRollout reconciler: named steps from the spec check to moving clusters. Every pass reads the
// rollout as last persisted (its status is the only memory: fresh from the API server, or this process's own
// last write while the watch has not delivered it yet), the clusters from the shared cache, decides with the
// pure functions of render/plan.ts, writes status first and then sets spec.version of the clusters in flight.
// A restarted manager reads the same status and makes the same decisions; setting a version a cluster already
// asks for is no write, so no cluster is upgraded twice.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { bulkhead } from 'cockatiel';
import {
  API_VERSION,
  RETRY_ANNOTATION,
  type Addon,
  type BusinessCluster,
  type FleetRollout,
  type FleetRolloutStatus,
  type KubernetesVersion,
  type MachineSet,
  type RolloutClusterStatus,
} from '../../api';
import type { EventKind } from '../../controller/informer';
import {
  keyOf as objectKey,
  oneAtATimePerKey,
  silentLogger,
  splitKey,
  type Logger,
  type ReconcileResult,
} from '../../controller/reconciler';
import { applyObject, isConflict, listObjects, makeObjectApi, readObject } from '../../kube';
import {
  applyStatusReturning,
  canonicalJSON,
  compareVersions,
  dropUndefined,
  findCondition,
  mergeConditions,
  runSteps,
  StopPass,
  type ConditionInput,
  type Step,
} from '../../kit';
import { rolloutSpecProblems } from '../../validation/rules/rollout';
import {
  advance,
  clusterFacts,
  concernedBy,
  countRows,
  graceOf,
  isTerminal,
  matchesClusters,
  onlyProgress,
  planRows,
  retryRows,
  selects,
  standing,
  type Advance,
  type ClusterFacts,
} from './render/plan';
import { addonTargetProblem, lacksAddon, machineSetFacts, machineSetsToMove, targetWords } from './render/target';

/** The field manager of spec.version when a rollout moves a cluster: not `kokpit`, whose applies (`kokpit apply`)
 *  own the rest of the spec; an apply of spec.version alone under that name would drop those fields. */
export const ROLLOUT_FIELD_MANAGER = 'kokpit-rollout';
export const CONDITIONS = ['Valid', 'Progressing'] as const;
const PLURAL = 'fleetrollouts';
const USABLE = new Set(['Supported', 'Preview']);
/** Addons are listed, not watched (nothing else watches them): a refused addon target is looked at again this often. */
const ADDON_RECHECK_MS = 30_000;

export interface RolloutRuntime {
  kc: KubeConfig;
  log?: Logger;
  now?: () => Date;
  /** The shared caches the operator reads (clusters, catalog, other rollouts). */
  cache: {
    /** The rollout as the watch last delivered it (see `read`). */
    rollout(name: string): (FleetRollout & KubernetesObject) | undefined;
    clusters(): readonly BusinessCluster[];
    versions(): readonly KubernetesVersion[];
    rollouts(): readonly FleetRollout[];
    /** MachineSets (spec.includeMachines); the machine operator's watch under the manager. */
    machineSets(): readonly MachineSet[];
  };
}

interface Pass {
  r: FleetRollout;
  prev: FleetRolloutStatus;
  now: Date;
  conditions: ConditionInput[];
  target: string;
  selected: ClusterFacts[];
  facts: Map<string, ClusterFacts>;
  rows: RolloutClusterStatus[];
  adv?: Advance;
  lastRetry?: string;
  /** The target left the catalog's usable states after the rollout began: why (nothing new starts). */
  targetUnusable?: string;
  /** Each cluster's resourceVersion in the cache this pass reads (see `sent`). */
  cacheVersions: Map<string, string | undefined>;
}

type Rollout = FleetRollout & KubernetesObject;
/** What this process last wrote, and the resourceVersion the cache showed just before: while the cache still shows
 *  that version, it has not delivered the write yet (no ordering of resourceVersions is assumed). */
interface Written<T> {
  obj: T;
  cacheVersion: string | undefined;
}
/** A rollout's status as this process last wrote it, and the versions the cache may show while it has not delivered
 *  that write: `behind[0]` is what it showed at the write, the rest this process's earlier writes since, in order
 *  (several passes may write before the watch delivers the first; no ordering of resourceVersions is assumed). */
interface OwnStatus {
  obj: Rollout;
  behind: Array<string | undefined>;
}

const key = (c: { namespace: string; name: string }) => `${c.namespace}/${c.name}`;
/** In-flight clusters' spec writes at once (a guard for very large waves; the wave's maxConcurrency is the user's bound).
 *  Below a wave's size its tail queues behind the cluster operator's status writes for its head: at 16 and at 64 a
 *  90-cluster wave's writes took about twice as long as the same writes sent at once (`npm run bench -- rollout`). */
const WRITE_CONCURRENCY = 128;
/** A status write that only records clusters finishing (render/plan.ts `onlyProgress`) goes out this long after the
 *  first finish it carries, with every finish since: a 90-cluster wave finishing is a write a second, not one per
 *  cluster, and the write that hands over to the next wave or finishes the rollout (never held) seldom queues behind one. */
export const PROGRESS_WRITE_MS = 1000;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const invalid = (reason: string, message: string) => new StopPass({ type: 'Valid', status: 'False', reason, message }, undefined);
/** A rollout still at work: not finished and not refused. */
const active = (r: FleetRollout) =>
  r.status?.phase !== 'Succeeded' && r.status?.phase !== 'Failed' && findCondition(r.status?.conditions, 'Valid')?.status !== 'False';

export class RolloutReconciler {
  private readonly objects;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** Per rollout: its last status write as stored (the response), so the next pass need not wait for the watch or read. */
  private readonly written = new Map<string, OwnStatus>();
  /** Per rollout: since when a progress-only status waits to be written (monotonic ms; see PROGRESS_WRITE_MS). */
  private readonly progressSince = new Map<string, number>();
  /** Per rollout: its status write in flight (its watch event may arrive before the response; see `isOwnWrite`). */
  private readonly writing = new Map<string, Promise<unknown>>();
  /** Per cluster: the spec field this process last set on it (`version=…`, `addon:…=…`), so a cache behind that
   *  write does not send it twice. */
  private readonly sent = new Map<string, Written<string>>();
  /** Per cluster: this process's last spec write, as the resourceVersion it left the cluster at (undefined if it failed);
   *  set when the write is sent, since its watch event may arrive before the response (see `isOwnClusterWrite`). */
  private readonly ownSpec = new Map<string, Promise<string | undefined>>();
  private readonly steps: Step<Pass>[] = [
    { name: 'validate', condition: 'Valid', run: (p) => this.validate(p) },
    { name: 'catalog', condition: 'Valid', run: (p) => this.catalog(p) },
    { name: 'select', condition: 'Valid', run: (p) => this.select(p) },
    { name: 'plan', condition: 'Progressing', run: (p) => this.plan(p) },
    { name: 'advance', condition: 'Progressing', run: (p) => this.advance(p) },
  ];

  constructor(private readonly rt: RolloutRuntime) {
    this.objects = makeObjectApi(rt.kc);
    this.log = rt.log ?? silentLogger;
    this.now = rt.now ?? (() => new Date());
  }

  /** The level-triggered entry point. One pass per rollout at a time (oneAtATimePerKey). */
  reconcile = oneAtATimePerKey((k: string) => this.passOf(k));

  private async passOf(k: string): Promise<ReconcileResult | void> {
    const { name } = splitKey(k);
    const r = await this.read(name);
    if (!r || r.metadata.deletionTimestamp) return;
    try {
      return await this.pass(r);
    } catch (e) {
      // The status write's precondition failed: the copy the pass decided from was behind (see `read`). Decide again
      // from the API server's; nothing was written.
      if (!isConflict(e)) throw e;
      const fresh = await this.read(name, true);
      return fresh && !fresh.metadata.deletionTimestamp ? this.pass(fresh) : undefined;
    }
  }

  /** Whether the rollout's event is only one of this process's own status writes coming back: its last one, or an earlier
   *  one the last was written on top of (nothing new to act on). Decided once a write in flight has returned. */
  async isOwnWrite(r: Rollout): Promise<boolean> {
    await this.writing.get(r.metadata.name);
    const rv = r.metadata.resourceVersion;
    const mine = this.written.get(r.metadata.name);
    return rv !== undefined && mine !== undefined && (mine.obj.metadata.resourceVersion === rv || mine.behind.slice(1).includes(rv));
  }

  /** Whether a cluster's event is only this process's own last spec write coming back through the watch (an update at
   *  the version that write returned, decided once it has): the pass that sent it started the cluster and recorded it;
   *  what the cluster does next (its operator's status) wakes the rollout again. Any other event forgets the write. */
  async isOwnClusterWrite(bc: BusinessCluster, kind: EventKind): Promise<boolean> {
    const k = key({ namespace: bc.metadata.namespace ?? 'default', name: bc.metadata.name });
    const mine = this.ownSpec.get(k);
    if (!mine) return false;
    const rv = kind === 'update' ? await mine : undefined;
    if (rv !== undefined && rv === bc.metadata.resourceVersion) return true;
    if (this.ownSpec.get(k) === mine) this.ownSpec.delete(k);
    return false;
  }

  /** The status the last pass wrote: this process's write while the cache has not delivered it (it shows a version from
   *  before, see OwnStatus), else the cache's copy. That copy may be behind a write this process did not make (another
   *  manager's, just before this one took over): every status write carries the resourceVersion it was decided from as
   *  a precondition, so a stale copy costs a 409 and a `fresh` read from the API server, never a lost write, and no
   *  spec is written from it (spec writes follow the status write). */
  private async read(name: string, fresh = false): Promise<Rollout | undefined> {
    const mine = this.written.get(name);
    const cached = this.rt.cache.rollout(name);
    const rv = cached?.metadata.resourceVersion;
    if (!fresh && mine && cached && rv === mine.obj.metadata.resourceVersion) return structuredClone(cached);
    if (!fresh && mine?.behind.includes(rv)) return structuredClone(mine.obj);
    this.written.delete(name);
    if (!fresh && cached) return structuredClone(cached);
    return readObject<Rollout>(this.objects, { apiVersion: API_VERSION, kind: 'FleetRollout', metadata: { name } });
  }

  private async pass(r: Rollout): Promise<ReconcileResult | void> {
    const prev = r.status ?? {};
    const p: Pass = {
      r,
      prev,
      now: this.now(),
      conditions: [],
      target: '',
      selected: [],
      facts: new Map(),
      rows: prev.clusters ?? [],
      cacheVersions: new Map(),
    };
    const res = await runSteps(this.steps, p);
    if (res.stopped) p.conditions.push(res.stopped.stop.condition);
    const status = this.status(p);
    const hold = this.progressHold(r.metadata.name, prev, status);
    if (hold === undefined) await this.writeStatus(r, prev, status);
    // After status: the rows that say a cluster is in flight are on record before its spec changes. A wave's
    // clusters move together (a few writes at a time), as a person starting them by hand would.
    await this.ensureTargets(p);
    const after = res.stopped ? res.stopped.stop.requeueAfterMs : p.adv ? p.adv.requeueAfterMs : 100;
    const soonest = [after, hold].filter((ms): ms is number => ms !== undefined);
    return soonest.length ? { requeueAfterMs: Math.min(...soonest) } : undefined;
  }

  /** How long a status that only records clusters finishing waits before it is written (see PROGRESS_WRITE_MS);
   *  undefined: write it now. */
  private progressHold(name: string, prev: FleetRolloutStatus, status: FleetRolloutStatus): number | undefined {
    if (!onlyProgress(prev, status)) return undefined;
    const now = performance.now();
    const since = this.progressSince.get(name) ?? now;
    this.progressSince.set(name, since);
    const wait = since + PROGRESS_WRITE_MS - now;
    return wait > 0 ? Math.ceil(wait) : undefined;
  }

  /** Applies the status unless unchanged; returns the rollout as stored, remembered for the next pass (see `read`). */
  private async writeStatus(r: Rollout, prev: FleetRolloutStatus, status: FleetRolloutStatus): Promise<Rollout | undefined> {
    if (canonicalJSON(dropUndefined(prev)) === canonicalJSON(dropUndefined(status))) return undefined;
    const name = r.metadata.name;
    const cached = this.rt.cache.rollout(name)?.metadata.resourceVersion;
    const write = (async () => {
      const decidedAt = r.metadata.resourceVersion;
      const stored = (await applyStatusReturning(this.rt.kc, r, PLURAL, dropUndefined(status), undefined, decidedAt)) as Rollout;
      this.progressSince.delete(name);
      // From what the cache showed before this write up to this process's previous write: what it may show meanwhile.
      const prevOwn = this.written.get(name);
      const chain = prevOwn ? [...prevOwn.behind, prevOwn.obj.metadata.resourceVersion] : [];
      const at = chain.indexOf(cached);
      this.written.set(name, { obj: stored, behind: at >= 0 ? chain.slice(at) : [cached] });
      return stored;
    })();
    const settled = write.catch(() => undefined);
    this.writing.set(name, settled);
    let stored: Rollout;
    try {
      stored = await write;
    } finally {
      if (this.writing.get(name) === settled) this.writing.delete(name);
    }
    this.logChanges(r.metadata.name, prev, status);
    return stored;
  }

  /** 1. The spec rules the editor applies. */
  private async validate(p: Pass): Promise<void> {
    const problems = rolloutSpecProblems(p.r.spec);
    if (problems.length) throw invalid('InvalidSpec', problems.map((x) => x.message).join('; '));
    p.target = p.r.spec.target.kubernetesVersion ?? p.r.spec.target.addon!.version;
  }

  /** 2. The target is a usable catalog version; one withdrawn after the start stops new clusters only (advance). */
  private async catalog(p: Pass): Promise<void> {
    const started = p.rows.some((row) => row.state !== 'Pending');
    try {
      if (p.r.spec.target.addon) await this.checkAddonTarget(p.r.spec.target.addon);
      else this.checkTarget(p);
    } catch (e) {
      if (!started || !(e instanceof StopPass)) throw e;
      p.targetUnusable = e.condition.message;
    }
  }

  /** The Addon catalog offers exactly one Addon of that name at that version (listed: see ADDON_RECHECK_MS). */
  private async checkAddonTarget(target: { name: string; version: string }): Promise<void> {
    const problem = addonTargetProblem(target, await listObjects<Addon & KubernetesObject>(this.objects, API_VERSION, 'Addon'));
    if (problem) throw new StopPass({ type: 'Valid', status: 'False', ...problem }, ADDON_RECHECK_MS);
  }

  private checkTarget(p: Pass): void {
    const entry = this.rt.cache.versions().find((v) => v.spec.version === p.target);
    const usable = this.rt.cache
      .versions()
      .filter((v) => USABLE.has(v.spec.state ?? 'Supported'))
      .map((v) => v.spec.version)
      .sort(compareVersions);
    if (!entry)
      throw invalid(
        'VersionNotInCatalog',
        `spec.target.kubernetesVersion ${p.target} is not in the version catalog; available: ${usable.join(', ') || 'none'}`,
      );
    if (!USABLE.has(entry.spec.state ?? 'Supported'))
      throw invalid(
        'VersionNotUsable',
        `spec.target.kubernetesVersion ${p.target} is ${entry.spec.state}; use one of ${usable.join(', ')}`,
      );
  }

  /** 3. The clusters it selects; before anything starts, overlaps with an older rollout and downgrades refuse it whole. */
  private async select(p: Pass): Promise<void> {
    // Facts only for the clusters this rollout can concern (its selector and namespaces, or a row of its own): a pass
    // costs the rollout's clusters, not the fleet's.
    const clusters = this.rt.cache.clusters().filter(concernedBy(p.r));
    for (const bc of clusters)
      p.cacheVersions.set(`${bc.metadata.namespace ?? 'default'}/${bc.metadata.name}`, bc.metadata.resourceVersion);
    const all = clusters.map((bc) => this.facts(p, bc));
    p.facts = new Map(all.map((f) => [key(f), f]));
    let selected = all.filter((f) => selects(p.r.spec, f));
    const started = p.rows.some((row) => row.state !== 'Pending');
    const claimed = this.claimedByOlder(p.r, selected);
    if (claimed.size && !started) {
      const [[cluster, other]] = [...claimed];
      throw invalid(
        'OverlappingRollout',
        `cluster ${cluster} is also selected by FleetRollout ${other}, which is older and not finished; ` +
          `nothing started (${claimed.size} cluster(s) overlap)`,
      );
    }
    // Once started, an overlapping newcomer simply stays out of this rollout.
    selected = selected.filter((f) => !claimed.has(key(f)));
    const newer = p.r.spec.target.addon
      ? []
      : selected.filter((f) => [f.specVersion, f.statusVersion].some((v) => v && compareVersions(v, p.target) > 0));
    if (newer.length && !started) {
      throw invalid(
        'DowngradeRefused',
        `${newer.map((f) => `${key(f)} (${f.statusVersion ?? f.specVersion})`).join(', ')} ${newer.length === 1 ? 'is' : 'are'} newer ` +
          `than ${p.target}; downgrades are not supported; nothing started`,
      );
    }
    p.selected = selected;
    const without = all.filter((f) => matchesClusters(p.r.spec, f) && lacksAddon(p.r.spec, f)).length;
    p.conditions.push({
      type: 'Valid',
      status: 'True',
      reason: 'SpecValid',
      message:
        `${selected.length} cluster(s) selected for ${targetWords(p.r.spec)}` +
        (without ? `; ${without} matching cluster(s) without ${p.r.spec.target.addon!.name} in spec.addons are not targets` : ''),
    });
  }

  /** A cluster as the rollout sees it; with includeMachines, with the MachineSets that name it. */
  private facts(p: Pass, bc: BusinessCluster): ClusterFacts {
    const f = clusterFacts(bc);
    if (!p.r.spec.includeMachines) return f;
    const sets = this.rt.cache
      .machineSets()
      .filter((ms) => (ms.metadata.namespace ?? 'default') === f.namespace && ms.spec.clusterRef.name === f.name);
    return { ...f, machineSets: sets.map(machineSetFacts) };
  }

  /** Clusters of `selected` that an older, unfinished rollout also selects: cluster key → that rollout's name. */
  private claimedByOlder(me: FleetRollout, selected: ClusterFacts[]): Map<string, string> {
    const mine = `${me.metadata.creationTimestamp ?? ''}/${me.metadata.name}`;
    const older = this.rt.cache
      .rollouts()
      .filter(
        (o) => o.metadata.name !== me.metadata.name && active(o) && `${o.metadata.creationTimestamp ?? ''}/${o.metadata.name}` < mine,
      );
    const out = new Map<string, string>();
    for (const f of selected) {
      const other = older.find(
        (o) => o.status?.clusters?.some((row) => key(row) === key(f) && !isTerminal(row.state)) || selects(o.spec, f),
      );
      if (other) out.set(key(f), other.metadata.name);
    }
    return out;
  }

  /** 4. The wave of every cluster. The first status write carries it (with wave one's start, if it starts), and every
   *  spec write comes after that write: the plan is on record before anything starts. */
  private async plan(p: Pass): Promise<void> {
    const finished = p.prev.phase === 'Succeeded' || p.prev.phase === 'Failed';
    let rows = p.rows;
    const retry = p.r.metadata.annotations?.[RETRY_ANNOTATION];
    if (retry && retry !== p.prev.lastRetry) {
      rows = retryRows(rows);
      p.lastRetry = retry;
    }
    p.rows = planRows(p.r.spec, p.selected, rows, finished && p.lastRetry === undefined);
  }

  /** 5. In-flight clusters move on; the current wave starts more, within its concurrency and the failure budget. */
  private async advance(p: Pass): Promise<void> {
    p.adv = advance({
      spec: p.r.spec,
      target: p.target,
      rows: p.rows,
      facts: p.facts,
      now: p.now,
      paused: p.r.spec.paused === true,
      ...(p.targetUnusable ? { targetUnusable: p.targetUnusable } : {}),
    });
    p.rows = p.adv.rows;
    p.conditions.push(this.progressing(p, p.adv));
  }

  private progressing(p: Pass, adv: Advance): ConditionInput {
    const counts = countRows(adv.rows);
    const summary =
      `${counts.succeeded}/${counts.total} done, ${counts.upgrading} upgrading, ${counts.soaking} ` +
      `soaking, ${counts.failed} failed, ${counts.skipped} skipped`;
    if (adv.failed > adv.allowedFailures) {
      const last = adv.rows.filter((r) => r.state === 'Failed').at(-1);
      return {
        type: 'Progressing',
        status: 'False',
        reason: 'FailureBudgetExceeded',
        message:
          `${adv.failed} failed, ${adv.allowedFailures} tolerated (spec.maxFailures); no new cluster starts; ` +
          `last: ${last ? `${key(last)}: ${last.message}` : '-'}`,
      };
    }
    if (!counts.total)
      return { type: 'Progressing', status: 'False', reason: 'NoClustersSelected', message: 'no BusinessCluster matches spec.clusters' };
    if (p.targetUnusable) {
      const flying = adv.inFlight.length;
      return {
        type: 'Progressing',
        status: flying ? 'True' : 'False',
        reason: 'TargetNotUsable',
        message:
          `${p.targetUnusable}; it changed after the rollout began: no new cluster starts` +
          `${flying ? `, the ${flying} in flight finish` : ''}; ${summary}`,
      };
    }
    if (adv.currentWave === undefined) {
      if (counts.skipped)
        return {
          type: 'Progressing',
          status: 'False',
          reason: 'ClustersSkipped',
          message: `${summary}; \`kokpit rollout retry ${p.r.metadata.name}\` puts the skipped clusters back in line`,
        };
      return { type: 'Progressing', status: 'False', reason: 'Completed', message: summary };
    }
    if (p.r.spec.paused)
      return { type: 'Progressing', status: 'False', reason: 'Paused', message: `paused in wave ${adv.currentWave}: ${summary}` };
    // Only waiting when nothing is in flight (nor waited for to be Ready): a wave whose window closed finishes its
    // started clusters first.
    if (adv.waitingForWindow && !adv.inFlight.length && !adv.waitingForReady)
      return {
        type: 'Progressing',
        status: 'False',
        reason: 'WaitingForWindow',
        message:
          `wave ${adv.currentWave}: ${adv.waitingForWindow} cluster(s) wait for their maintenance window` +
          `${adv.nextWindow ? `, the next opens at ${iso(adv.nextWindow)}` : ''} (spec.ignoreWindows overrides); ${summary}`,
      };
    // The rows say until when; the condition says how many (stable while they wait: no write per pass).
    const notReady = adv.waitingForReady
      ? `; ${adv.waitingForReady} cluster(s) not Ready at their turn, waited for up to ${graceOf(p.r.spec).text} (spec.notReadyGrace)`
      : '';
    return { type: 'Progressing', status: 'True', reason: 'WaveInProgress', message: `wave ${adv.currentWave}: ${summary}${notReady}` };
  }

  private status(p: Pass): FleetRolloutStatus {
    const adv = p.adv;
    const progressing = p.conditions.find((c) => c.type === 'Progressing');
    const valid = p.conditions.find((c) => c.type === 'Valid');
    const started = p.rows.some((r) => r.state !== 'Pending');
    let phase: FleetRolloutStatus['phase'] = p.prev.phase ?? 'Pending';
    if (adv) {
      const reason = progressing?.reason;
      phase =
        reason === 'FailureBudgetExceeded' || (reason === 'TargetNotUsable' && progressing?.status === 'False')
          ? 'Failed'
          : reason === 'Completed'
            ? 'Succeeded'
            : reason === 'Paused'
              ? 'Paused'
              : reason === 'WaitingForWindow'
                ? 'WaitingForWindow'
                : started
                  ? 'Progressing'
                  : 'Pending';
    } else if (valid?.status === 'False' && !started) {
      phase = 'Pending';
    }
    const failure = adv?.failures.at(-1);
    return {
      phase,
      ...(adv?.currentWave ? { currentWave: adv.currentWave } : {}),
      ...(adv?.nextWindow ? { nextWindow: iso(adv.nextWindow) } : {}),
      counts: countRows(p.rows),
      clusters: p.rows,
      ...(failure
        ? {
            lastFailure: {
              cluster: key(failure),
              reason: failure.message?.split(':')[0] ?? 'Failed',
              message: failure.message,
              time: iso(p.now),
            },
          }
        : p.prev.lastFailure && !p.lastRetry
          ? { lastFailure: p.prev.lastFailure }
          : {}),
      ...((p.lastRetry ?? p.prev.lastRetry) ? { lastRetry: p.lastRetry ?? p.prev.lastRetry } : {}),
      conditions: mergeConditions(p.prev.conditions, p.conditions, p.r.metadata.generation, p.now, CONDITIONS),
      observedGeneration: p.r.metadata.generation,
    };
  }

  /** Sets what the row moves its cluster to: spec.version, or the addon's pin; with includeMachines then its MachineSets. */
  /** Every in-flight cluster's spec, WRITE_CONCURRENCY at a time; the first failure is thrown once all have settled. */
  private async ensureTargets(p: Pass): Promise<void> {
    const pool = bulkhead(WRITE_CONCURRENCY, Number.MAX_SAFE_INTEGER);
    const rows = p.adv?.inFlight ?? [];
    const results = await Promise.allSettled(rows.map((row) => pool.execute(() => this.ensureTarget(p, p.facts.get(key(row)), row))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async ensureTarget(p: Pass, f: ClusterFacts | undefined, row: RolloutClusterStatus): Promise<void> {
    if (!f || !row.to) return;
    const addon = p.r.spec.target.addon?.name;
    if (addon) return this.ensureAddonPin(p, f, addon, row.to);
    await this.ensureVersion(p, f, row.to);
    // The machines follow only a control plane Ready at the target (a kubelet is never newer than its API server).
    if (p.r.spec.includeMachines && standing(f, p.r.spec, row.to).at)
      for (const set of machineSetsToMove(f, row.to)) await this.ensureKubelet(f, set, row.to);
  }

  /** Sets spec.version, unless the cluster already asks for that version (or a newer one). */
  private async ensureVersion(p: Pass, f: ClusterFacts, to: string): Promise<void> {
    if (f.specVersion && compareVersions(f.specVersion, to) >= 0) return;
    if (this.alreadySent(p, f, `version=${to}`)) return;
    await this.applyCluster(p, f, `version=${to}`, { version: to });
    this.log.info(`rollout: ${key(f)} spec.version ${f.specVersion} → ${to}`);
  }

  /** Sets spec.addons[name].version (one list-map entry, merged by key), only while the cluster still lists the addon. */
  private async ensureAddonPin(p: Pass, f: ClusterFacts, addon: string, to: string): Promise<void> {
    const a = f.addons?.[addon];
    if (!a || a.pinned === to || this.alreadySent(p, f, `addon:${addon}=${to}`)) return;
    await this.applyCluster(p, f, `addon:${addon}=${to}`, { addons: [{ name: addon, version: to }] });
    this.log.info(`rollout: ${key(f)} spec.addons[${addon}].version ${a.pinned ?? 'default'} → ${to}`);
  }

  /** Sets the MachineSet's template kubelet component version (one list-map entry, merged by key). */
  private async ensureKubelet(f: ClusterFacts, set: string, to: string): Promise<void> {
    await this.applyRollout({
      kind: 'MachineSet',
      metadata: { name: set, namespace: f.namespace },
      spec: { template: { spec: { components: [{ name: 'kubelet', version: to }] } } },
    });
    this.log.info(`rollout: ${key(f)} MachineSet ${set} kubelet → ${to}`);
  }

  /** Whether this process set `what` on the cluster and the cache this pass reads has not delivered that write yet. */
  private alreadySent(p: Pass, f: ClusterFacts, what: string): boolean {
    const mine = this.sent.get(key(f));
    if (mine && mine.cacheVersion === p.cacheVersions.get(key(f))) return mine.obj === what;
    this.sent.delete(key(f));
    return false;
  }

  /** A BusinessCluster spec write, remembered with the cache's version before it (see `alreadySent`). */
  private async applyCluster(p: Pass, f: ClusterFacts, what: string, spec: object): Promise<void> {
    const write = this.applyRollout({ kind: 'BusinessCluster', metadata: { name: f.name, namespace: f.namespace }, spec });
    this.ownSpec.set(
      key(f),
      write.then(
        (stored) => stored.metadata?.resourceVersion,
        () => undefined,
      ),
    );
    await write;
    this.sent.set(key(f), { obj: what, cacheVersion: p.cacheVersions.get(key(f)) });
  }

  /** Server-side apply of the fields the rollout owns, under its own field manager (see ROLLOUT_FIELD_MANAGER). */
  private async applyRollout(o: { kind: string; metadata: { name: string; namespace: string }; spec: object }): Promise<KubernetesObject> {
    return applyObject(this.objects, { apiVersion: API_VERSION, ...o } as KubernetesObject, {
      fieldManager: ROLLOUT_FIELD_MANAGER,
      force: true,
    });
  }

  private logChanges(name: string, prev: FleetRolloutStatus, next: FleetRolloutStatus): void {
    const before = new Map((prev.clusters ?? []).map((r) => [key(r), r]));
    for (const r of next.clusters ?? []) {
      const was = before.get(key(r));
      // A move out of Pending, or the start of a wait for the cluster to be Ready (spec.notReadyGrace).
      const waits = r.waitingSince !== undefined && was?.waitingSince !== r.waitingSince;
      if ((was?.state !== r.state && r.state !== 'Pending') || waits)
        this.log.info(`rollout ${name}: ${key(r)} (wave ${r.wave}) ${r.state}${r.message ? `: ${r.message}` : ''}`);
    }
    if (prev.phase !== next.phase) this.log.info(`rollout ${name}: phase ${next.phase}`);
  }
}

/** The rollouts that select a cluster (for mapping a BusinessCluster event to rollout keys). */
export function rolloutsOf(rollouts: readonly FleetRollout[], bc: BusinessCluster): string[] {
  const f = clusterFacts(bc);
  return rollouts
    .filter((r) => selects(r.spec, f) || r.status?.clusters?.some((row) => row.name === f.name && row.namespace === f.namespace))
    .map((r) => objectKey(r));
}
