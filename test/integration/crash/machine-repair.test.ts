// The machine operator's repair and replacement, killed for real: a test build of `kokpit operator --controllers
// machine` (crash/faulty-kwok-operator.ts: the same command, its kwok provider wrapped so a component's health step
// fails on the Machines this test names, health every 1 s, repair limit 5 s) runs as a child process and is
// SIGKILLed right after named writes seen in the meta or business API server's audit log, then started again.
// A MachineSet `pool` of two kwok Machines; pool-0 gets repaired, pool-1 replaced:
//   machine/repair:unhealthy       pool-0's status write after its health step failed and a repair did not help (Repairing)
//   machine/repair:healed          pool-0's next status write, healthy after the second repair (Running)
//   machine/replace:unhealthy      pool-1's status write after its health step failed (Repairing; repair never helps)
//   machine/replace:failed         pool-1's next status write: the repair limit reached (Failed)
//   machine/replace:delete         the MachineSet's delete of the Failed pool-1
//   machine/replace:deleting       pool-1's Deleting status write, before its Node is removed
//   machine/replace:node-delete    the old pool-1 Node deleted in the business cluster
//   machine/replace:finalizer      the old pool-1's finalizer removed (the API server then deletes it)
//   machine/replace:create         the new pool-1 created by the MachineSet
//   machine/replace:node           the new pool-1's Node registered in the business cluster
// Each point is the n-th write of its kind since its stage began, whichever process made it, so a point already
// written by the time it is armed passes instead of waiting. After each stage: pool-0 the same Machine (uid) with
// the same Node, Running and healthy after exactly two repairs; pool-1 exactly one new Machine (one create, one
// delete in the audit log) with one new Node, no orphan; one kwok process; then a quiet window with no kokpit write.
// KOKPIT_CRASH_POINTS=a,b (or random:N; KOKPIT_TEST_SEED replays) chooses the points.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubernetesObject, V1Node } from '@kubernetes/client-node';
import type { Machine, MachineSet } from '../../../src/api';
import { waitFor } from '../../../src/controlplane';
import { applyObject, listObjects, makeObjectApi, readObject } from '../../../src/kube';
import { AGENTS } from '../../support/audit-writes';
import {
  AuditTail,
  CREATES,
  CrashHarness,
  choosePoints,
  describeOutcome,
  point,
  testSeed,
  type CrashOutcome,
  type CrashPoint,
  type PointFilter,
  type WriteEvent,
} from '../../support/crash-harness';
import { API, componentWithHealth, startMachineEnv, type MachineEnv } from '../machine/support';
import { faultsEnv, healthIntervalEnv, repairLimitEnv, repairsOf, type FaultRule } from './faulty-kwok-operator';
import { assertQuietWindow, kwokPids } from './machine-checks';
import { log } from './support';

const NS = 'crash-repair';
const CLUSTER = 'bc';
const SET = 'pool';
const REPAIRED = `${SET}-0`;
const REPLACED = `${SET}-1`;

type M = Machine & KubernetesObject;
type Stage = 'repair' | 'replace';

describe('crash: the machine operator SIGKILLed at repair and replacement points (a test build of `kokpit operator`)', function () {
  let env: MachineEnv;
  let harness: CrashHarness;
  const tails: AuditTail[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-crash-repair-'));
  const faults = path.join(dir, 'faults.json');
  const timings: string[] = [];
  const objects = () => makeObjectApi(env.kc);
  /** When each stage began: its points count writes from then on. */
  const stageStart: Record<Stage, number> = { repair: Infinity, replace: Infinity };

  /** The n-th write matching `f` (and `extra`) since `stage` began, over every write seen. */
  const nth = (name: string, what: string, stage: Stage, n: number, f: PointFilter, extra?: (e: WriteEvent) => boolean): CrashPoint => {
    const base = point(name, what, { userAgent: AGENTS.machine, ...f });
    const inStage = (e: WriteEvent) => e.seenAt >= stageStart[stage] && base.match(e) && (!extra || extra(e));
    return { ...base, match: (e) => inStage(e) && harness.events.filter(inStage).indexOf(e) === n - 1 };
  };
  const status = (name: string): PointFilter => ({ resource: 'machines/status', namespace: NS, name });
  const created = (e: WriteEvent) => e.code === 201;
  /** In the order the test passes them. */
  const POINTS: CrashPoint[] = [
    nth('machine/repair:unhealthy', `${REPAIRED} Repairing: health failed, a repair did not help`, 'repair', 1, status(REPAIRED)),
    nth('machine/repair:healed', `${REPAIRED} Running again after the second repair`, 'repair', 2, status(REPAIRED)),
    nth('machine/replace:unhealthy', `${REPLACED} Repairing: health failed, repair does not help`, 'replace', 1, status(REPLACED)),
    nth('machine/replace:failed', `${REPLACED} Failed: the repair limit reached`, 'replace', 2, status(REPLACED)),
    nth('machine/replace:delete', `the MachineSet's delete of the Failed ${REPLACED}`, 'replace', 1, {
      resource: 'machines',
      namespace: NS,
      name: REPLACED,
      verbs: ['delete'],
    }),
    nth('machine/replace:deleting', `${REPLACED} Deleting, before its Node is removed`, 'replace', 3, status(REPLACED)),
    nth('machine/replace:node-delete', `the old ${REPLACED} Node deleted`, 'replace', 1, {
      source: 'business',
      resource: 'nodes',
      name: REPLACED,
      verbs: ['delete'],
    }),
    nth('machine/replace:finalizer', `the old ${REPLACED}'s finalizer removed`, 'replace', 1, {
      resource: 'machines',
      namespace: NS,
      name: REPLACED,
      verbs: ['patch', 'update'],
    }),
    nth(
      'machine/replace:create',
      `the new ${REPLACED} created by the MachineSet`,
      'replace',
      1,
      { resource: 'machines', namespace: NS, name: REPLACED, verbs: CREATES },
      created,
    ),
    nth(
      'machine/replace:node',
      `the new ${REPLACED}'s Node registered`,
      'replace',
      1,
      { source: 'business', resource: 'nodes', name: REPLACED, verbs: CREATES },
      created,
    ),
  ];

  before(async function () {
    this.timeout(300_000);
    const t = Date.now();
    env = await startMachineEnv(NS, CLUSTER);
    fs.writeFileSync(faults, '[]');
    harness = new CrashHarness({
      kubeconfig: env.meta.kubeconfigPath,
      managerArgs: ['--no-leader-elect', '--metrics-bind-address', '127.0.0.1:0', '--controllers', 'machine'],
      dir,
      log,
      program: {
        file: 'test/integration/crash/faulty-kwok-operator.ts',
        env: { [faultsEnv]: faults, [healthIntervalEnv]: '1000', [repairLimitEnv]: '5000' },
      },
    });
    tails.push(
      new AuditTail(env.meta.auditLogPath!, harness.feed, 'meta'),
      new AuditTail(env.business.auditLogPath!, harness.feed, 'business'),
    );
    for (const tail of tails) tail.start();
    await applyObject(objects(), componentWithHealth('probe', '1.0.0'));
    timings.push(`environment ${Date.now() - t} ms`);
  });

  after(async function () {
    this.timeout(120_000);
    for (const t of timings) log(`timing: ${t}`);
    await harness?.stop().catch(() => {});
    for (const tail of tails) tail.stop();
    if (env) for (const pid of kwokPids(env.business.server)) process.kill(pid, 'SIGKILL');
    await env?.stop();
    if (!process.env.KOKPIT_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  });

  const machines = () => listObjects<M>(objects(), API, 'Machine', { namespace: NS });
  const nodes = () => listObjects<V1Node & KubernetesObject>(makeObjectApi(env.bkc), 'v1', 'Node', {});
  const fail = (rules: FaultRule[]) => fs.writeFileSync(faults, JSON.stringify(rules));

  /** pool-0 and pool-1 Running and healthy for their generation, one Node each (kokpit's) and no other; the set says so. */
  const converged = (what: string) => {
    const t = Date.now();
    const want = [REPAIRED, REPLACED];
    return waitFor(
      `${what}: ${want.join(', ')} Running and healthy, their Nodes and no others`,
      async (st) => {
        const ms = await machines();
        const ns = await nodes();
        const set = await readObject<MachineSet & KubernetesObject>(objects(), {
          apiVersion: API,
          kind: 'MachineSet',
          metadata: { name: SET, namespace: NS },
        });
        const healthy = (m: M) => m.status?.conditions?.find((c) => c.type === 'ComponentsHealthy')?.status === 'True';
        const describe = (m: M) =>
          `${m.metadata.name}(${m.metadata.uid?.slice(0, 8)}):${m.status?.phase}${healthy(m) ? '' : '/unhealthy'}` +
          `${m.metadata.deletionTimestamp ? '(deleting)' : ''}`;
        const nodeNames = ns.map((n) => n.metadata!.name).join(' ');
        st.lastReason = `machines ${ms.map(describe).join(' ')}; nodes ${nodeNames}; set ${set?.status?.message}`;
        const names = (xs: Array<{ metadata?: { name?: string } }>) => JSON.stringify(xs.map((x) => x.metadata!.name).sort());
        const ok =
          names(ms) === JSON.stringify(want) &&
          names(ns) === JSON.stringify(want) &&
          ms.every(
            (m) => !m.metadata.deletionTimestamp && m.status?.phase === 'Running' && m.status.observedGeneration === m.metadata.generation,
          ) &&
          ms.every(healthy) &&
          set?.status?.readyReplicas === 2;
        return ok ? { ms: new Map(ms.map((m) => [m.metadata.name, m])), ns: new Map(ns.map((n) => [n.metadata!.name!, n])) } : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    ).then((r) => {
      timings.push(`${what}: converged in ${Date.now() - t} ms`);
      for (const [name, n] of r.ns) assert.equal(n.metadata!.labels?.['kokpit.dev/machine'], name, `Node ${name} is its Machine's`);
      return r;
    });
  };

  const outcomes: CrashOutcome[] = [];
  const crash = async (p: CrashPoint) => {
    const t = Date.now();
    const o = await harness.crashAt(p, 400_000);
    outcomes.push(o);
    log(describeOutcome(o));
    timings.push(`${p.name}: ${o.result} after ${Date.now() - t} ms`);
  };
  const ensureManager = () => {
    if (!harness.manager?.running) harness.startManager();
  };
  /** The machine operator's writes since `stage` began that match `f`. */
  const writes = (stage: Stage, f: PointFilter, extra?: (e: WriteEvent) => boolean) => {
    const p = point('count', '', { userAgent: AGENTS.machine, ...f });
    return harness.events.filter((e) => e.seenAt >= stageStart[stage] && p.match(e) && (!extra || extra(e)));
  };

  it('repairs one Machine and replaces another across a SIGKILL at each chosen point, with 0 quiet writes', async function () {
    // A generous deadline: each restart loads the sources anew (over a minute on a loaded 2-core machine).
    this.timeout(2_400_000);
    const seed = testSeed(log);
    const chosen = choosePoints(POINTS, seed, log);
    const stage = (prefix: string) => chosen.filter((p) => p.name.startsWith(prefix));

    // 0. join: two healthy Machines (no crash here; crash/machine.test.ts kills joins).
    await applyObject(
      objects(),
      {
        apiVersion: API,
        kind: 'MachineSet',
        metadata: { name: SET, namespace: NS },
        spec: {
          clusterRef: { name: CLUSTER },
          replicas: 2,
          template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'probe' }] } },
        },
      } as KubernetesObject,
      { fieldManager: 'kokpit-test' },
    );
    ensureManager();
    const joined = await converged('join');
    const uid = (name: string) => joined.ms.get(name)!.metadata.uid!;
    const nodeUid = (name: string) => joined.ns.get(name)!.metadata!.uid!;

    // 1. repair: pool-0's health fails until two repairs ran.
    stageStart.repair = Date.now();
    fail([{ uid: uid(REPAIRED), component: 'probe', untilRepairs: 2 }]);
    for (const p of stage('machine/repair:')) await crash(p);
    ensureManager();
    // Not "still healthy": the second repair ran (with no point chosen here, nothing else waited for the fault).
    await waitFor(`two repairs of ${REPAIRED}`, async () => repairsOf(faults, uid(REPAIRED)) >= 2 || undefined, {
      timeoutMs: 400_000,
      intervalMs: 500,
    });
    const repaired = await converged('repair');
    assert.equal(repaired.ms.get(REPAIRED)!.metadata.uid, uid(REPAIRED), `${REPAIRED} repaired in place, not replaced`);
    assert.equal(repaired.ns.get(REPAIRED)!.metadata!.uid, nodeUid(REPAIRED), `${REPAIRED} kept its Node`);
    assert.equal(repairsOf(faults, uid(REPAIRED)), 2, `two repair steps ran on ${REPAIRED} (the second healed it)`);
    const repairStatus = writes('repair', status(REPAIRED));
    log(`repair: ${repairStatus.length} status write(s) of ${REPAIRED} (audit log)`);

    // 2. replacement: pool-1's health fails whatever repair does; after 5 s it is Failed and replaced.
    stageStart.replace = Date.now();
    fail([{ uid: uid(REPLACED), component: 'probe' }]);
    for (const p of stage('machine/replace:')) await crash(p);
    ensureManager();
    await waitFor(
      `a new ${REPLACED}`,
      async () => {
        const m = await readObject<M>(objects(), { apiVersion: API, kind: 'Machine', metadata: { name: REPLACED, namespace: NS } });
        return (m && m.metadata.uid !== uid(REPLACED)) || undefined;
      },
      { timeoutMs: 400_000, intervalMs: 500 },
    );
    const replaced = await converged('replacement');
    assert.notEqual(replaced.ms.get(REPLACED)!.metadata.uid, uid(REPLACED), `${REPLACED} is a new Machine`);
    assert.notEqual(replaced.ns.get(REPLACED)!.metadata!.uid, nodeUid(REPLACED), `${REPLACED} has a new Node`);
    assert.equal(replaced.ms.get(REPAIRED)!.metadata.uid, uid(REPAIRED), `${REPAIRED} untouched by the replacement`);
    assert.equal(replaced.ns.get(REPAIRED)!.metadata!.uid, nodeUid(REPAIRED), `${REPAIRED}'s Node untouched by the replacement`);

    // Exactly one replacement, as the API servers saw it, across every manager that ran.
    const machineWrites = (verbs: string[], name: string, extra?: (e: WriteEvent) => boolean) =>
      writes('replace', { resource: 'machines', namespace: NS, name, verbs }, extra);
    const nodeWrites = (verbs: string[], name: string, extra?: (e: WriteEvent) => boolean) =>
      writes('replace', { source: 'business', resource: 'nodes', name, verbs }, extra);
    const counts = {
      [`${REPLACED} deletes`]: machineWrites(['delete'], REPLACED).length,
      [`${REPLACED} creates`]: machineWrites(CREATES, REPLACED, created).length,
      [`${REPLACED} Node deletes`]: nodeWrites(['delete'], REPLACED).length,
      [`${REPLACED} Node creates`]: nodeWrites(CREATES, REPLACED, created).length,
      [`${REPAIRED} deletes`]: machineWrites(['delete'], REPAIRED).length,
      [`${REPAIRED} Node deletes`]: nodeWrites(['delete'], REPAIRED).length,
    };
    log(`replacement writes (audit logs): ${JSON.stringify(counts)}`);
    assert.deepEqual(counts, {
      [`${REPLACED} deletes`]: 1,
      [`${REPLACED} creates`]: 1,
      [`${REPLACED} Node deletes`]: 1,
      [`${REPLACED} Node creates`]: 1,
      [`${REPAIRED} deletes`]: 0,
      [`${REPAIRED} Node deletes`]: 0,
    });

    const killed = outcomes.filter((o) => o.result === 'killed');
    log(`${killed.length} kills, ${outcomes.length - killed.length} points passed before they were armed`);
    assert.ok(chosen.length === 0 || killed.length > 0, 'at least one point killed the manager');
    const kwoks = kwokPids(env.business.server);
    log(`kwok processes for the business cluster now: ${kwoks.length} (pids ${kwoks.join(', ')}), after ${killed.length} kills`);
    assert.equal(kwoks.length, 1, 'one kwok, the live manager one');

    // Health steps keep running every second: a steady pass writes nothing.
    await assertQuietWindow(env, harness, { namespace: NS, set: SET, machines: [REPAIRED, REPLACED], log });
    log(outcomes.map(describeOutcome).join('\n  '));
  });
});
