// The machine operator killed for real: `kokpit operator --controllers machine` runs as a child process and is
// SIGKILLed right after named writes (seen in the meta API server's audit log, or the business API server's: both
// are audited, so every write carries its User-Agent), then started again. One MachineSet of kwok Machines in a
// business cluster that is a second harness control plane (as test/integration/machine/support.ts makes it):
//   machine/join:create        the MachineSet's first Machine create (the others of its pass may not be sent)
//   machine/join:node          the first Node registered in the business cluster (before the Machine's status says so)
//   machine/join:status        the first Machine status write after that restart
//   machine/rollout:update     the first Machine moved to the new template (agent 1.0.0 → 1.1.0, phases 34 % / 100 %): phase 0
//   machine/rollout:phase-1    the first Machine moved in phase 1 (pool-1, once pool-0 runs the new template)
//   machine/rollout:phase-1-last  the last Machine moved in phase 1 (pool-2), which ends the rollout
//   machine/scale-down:delete  the deletion of the highest-numbered Machine (replicas 3 → 2) requested
// After each stage: exactly the desired Machines (one per slot) and Nodes (no orphan, kwok's included), every Machine
// Running for its generation; the rollout finished with every machine at 1.1.0 and each Machine moved once (its spec
// PATCHes in the audit log); and a final window in which no kokpit component writes to either API server.
// And one kwok process for the business cluster: a killed manager's kwok dies with it (it used to outlive it).
// Repair and replacement of an unhealthy Machine are killed in crash/machine-repair.test.ts (a test build of the command
// whose kwok provider fails health steps on request).
// KOKPIT_CRASH_POINTS=a,b (or random:N; KOKPIT_TEST_SEED replays) chooses the points.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubernetesObject, V1Node } from '@kubernetes/client-node';
import type { Machine, MachineSet } from '../../../src/api';
import { waitFor } from '../../../src/controlplane';
import { applyObject, listObjects, makeObjectApi, readObject } from '../../../src/kube';
import { AGENTS, describeWrites } from '../../support/audit-writes';
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
} from '../../support/crash-harness';
import { API, componentObject, startMachineEnv, type MachineEnv } from '../machine/support';
import { assertQuietWindow, kwokPids } from './machine-checks';
import { log } from './support';

const NS = 'crash-machine';
const CLUSTER = 'bc';
const SET = 'pool';
const FROM = '1.0.0';
const TO = '1.1.0';

type M = Machine & KubernetesObject;

const machineWrite = (name: string, what: string, resource: string, verbs?: string[]) =>
  point(name, what, { resource, namespace: NS, name: `${SET}-*`, verbs, userAgent: AGENTS.machine });

/** A spec write of that Machine: in the rollout stage, its move to the new template (fresh: its join wrote it too). */
const movedInPhase1 = (name: string, machine: string, what: string) =>
  point(name, `${what} (${machine})`, {
    resource: 'machines',
    namespace: NS,
    name: machine,
    verbs: ['patch', 'update'],
    userAgent: AGENTS.machine,
  });

/** In the order the test passes them: join (3 machines), rollout, scale down. */
const POINTS: CrashPoint[] = [
  machineWrite('machine/join:create', "the MachineSet's first Machine create", 'machines', CREATES),
  point('machine/join:node', 'the first Node registered in the business cluster', {
    source: 'business',
    resource: 'nodes',
    name: `${SET}-*`,
    // Registered by server-side apply: a creating PATCH.
    verbs: CREATES,
    userAgent: AGENTS.machine,
  }),
  machineWrite('machine/join:status', 'the first Machine status write after the restart', 'machines/status'),
  machineWrite('machine/rollout:update', 'the first Machine moved to the new template (phase 0)', 'machines', ['patch', 'update']),
  movedInPhase1('machine/rollout:phase-1', `${SET}-1`, 'the first Machine moved in phase 1'),
  movedInPhase1('machine/rollout:phase-1-last', `${SET}-2`, 'the last Machine moved in phase 1 (the end of the rollout)'),
  machineWrite('machine/scale-down:delete', "the highest Machine's deletion requested (3 → 2)", 'machines', ['delete']),
];
/** Each counts only writes made after it is armed (every pass of a joining Machine writes its status). */
const FRESH = new Set(['machine/join:status', 'machine/rollout:update', 'machine/rollout:phase-1', 'machine/rollout:phase-1-last']);

describe('crash: the machine operator SIGKILLed at join, rollout and scale-down points (real `kokpit operator`)', function () {
  let env: MachineEnv;
  let harness: CrashHarness;
  const tails: AuditTail[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-crash-machine-'));
  const timings: string[] = [];
  const objects = () => makeObjectApi(env.kc);

  before(async function () {
    this.timeout(300_000);
    const t = Date.now();
    env = await startMachineEnv(NS, CLUSTER);
    harness = new CrashHarness({
      kubeconfig: env.meta.kubeconfigPath,
      managerArgs: ['--no-leader-elect', '--metrics-bind-address', '127.0.0.1:0', '--controllers', 'machine'],
      dir,
      log,
    });
    tails.push(
      new AuditTail(env.meta.auditLogPath!, harness.feed, 'meta'),
      new AuditTail(env.business.auditLogPath!, harness.feed, 'business'),
    );
    for (const tail of tails) tail.start();
    await applyObject(objects(), componentObject('containerd', '1.7.0'));
    await applyObject(objects(), componentObject('agent', FROM));
    timings.push(`environment ${Date.now() - t} ms`);
  });

  after(async function () {
    this.timeout(120_000);
    for (const t of timings) log(`timing: ${t}`);
    await harness?.stop().catch(() => {});
    for (const tail of tails) tail.stop();
    // Whatever kwok is left (a failed run's) goes with the test.
    if (env) for (const pid of kwokPids(env.business.server)) process.kill(pid, 'SIGKILL');
    await env?.stop();
    if (!process.env.KOKPIT_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  });

  const applySet = (replicas: number, agent: string) =>
    applyObject(
      objects(),
      {
        apiVersion: API,
        kind: 'MachineSet',
        metadata: { name: SET, namespace: NS },
        spec: {
          clusterRef: { name: CLUSTER },
          replicas,
          template: { spec: { provider: 'kwok', role: 'worker', components: [{ name: 'containerd' }, { name: 'agent', version: agent }] } },
          rollout: { maxUnavailable: 1, phases: [{ percent: 34 }, { percent: 100 }] },
        },
      } as KubernetesObject,
      { fieldManager: 'kokpit-test' },
    );
  const machines = () => listObjects<M>(objects(), API, 'Machine', { namespace: NS });
  const nodes = () => listObjects<V1Node & KubernetesObject>(makeObjectApi(env.bkc), 'v1', 'Node', {});

  /** replicas Machines `pool-0…`, each Running for its generation at `agent`, one Node each and no other; the set says so. */
  const converged = (replicas: number, agent: string, what: string) => {
    const t = Date.now();
    const want = Array.from({ length: replicas }, (_, i) => `${SET}-${i}`);
    return waitFor(
      `${what}: ${want.join(', ')} Running at agent ${agent}, their Nodes and no others`,
      async (st) => {
        const ms = await machines();
        const ns = await nodes();
        const set = await readObject<MachineSet & KubernetesObject>(objects(), {
          apiVersion: API,
          kind: 'MachineSet',
          metadata: { name: SET, namespace: NS },
        });
        const agentOf = (m: M) => m.status?.components?.find((c) => c.name === 'agent')?.version;
        const describe = (m: M) => `${m.metadata.name}:${m.status?.phase}/${agentOf(m)}${m.metadata.deletionTimestamp ? '(deleting)' : ''}`;
        st.lastReason =
          `machines ${ms.map(describe).join(' ')}; ` + `nodes ${ns.map((n) => n.metadata!.name).join(' ')}; set ${set?.status?.message}`;
        const ok =
          JSON.stringify(ms.map((m) => m.metadata.name).sort()) === JSON.stringify(want) &&
          JSON.stringify(ns.map((n) => n.metadata!.name).sort()) === JSON.stringify(want) &&
          ms.every(
            (m) =>
              !m.metadata.deletionTimestamp &&
              m.status?.phase === 'Running' &&
              m.status.observedGeneration === m.metadata.generation &&
              agentOf(m) === agent,
          ) &&
          set?.status?.observedGeneration === set?.metadata.generation &&
          set?.status?.readyReplicas === replicas &&
          set?.status?.updatedReplicas === replicas;
        return ok ? { ms, ns } : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    ).then((r) => {
      timings.push(`${what}: converged in ${Date.now() - t} ms`);
      // Every Node is a kwok Node of its Machine (labels say which), none left over from a killed pass.
      for (const n of r.ns) {
        assert.equal(n.metadata!.annotations?.['kwok.x-k8s.io/node'], 'fake', `${n.metadata!.name} is a kwok Node`);
        assert.equal(n.metadata!.labels?.['kokpit.dev/machine'], n.metadata!.name);
      }
      for (const m of r.ms) assert.equal(m.metadata.labels?.['kokpit.dev/machineset'], SET);
      return r;
    });
  };

  const outcomes: CrashOutcome[] = [];
  const crash = async (p: CrashPoint) => {
    const t = Date.now();
    const o = await harness.crashAt(p, 180_000, { fresh: FRESH.has(p.name) });
    outcomes.push(o);
    log(describeOutcome(o));
    timings.push(`${p.name}: ${o.result} after ${Date.now() - t} ms`);
  };
  const ensureManager = () => {
    if (!harness.manager?.running) harness.startManager();
  };

  it('converges after a SIGKILL at each chosen point: one Machine and Node per slot, each moved once, 0 quiet writes', async function () {
    this.timeout(900_000);
    const seed = testSeed(log);
    const chosen = choosePoints(POINTS, seed, log);
    const stage = (prefix: string) => chosen.filter((p) => p.name.startsWith(prefix));

    // 1. join: 3 Machines.
    await applySet(3, FROM);
    for (const p of stage('machine/join:')) await crash(p);
    ensureManager();
    await converged(3, FROM, 'join');

    // 2. a phased rollout of the template (agent FROM → TO): each Machine's spec moved exactly once.
    const audit = env.audits[0];
    const fromRollout = await audit.mark();
    await applySet(3, TO);
    for (const p of stage('machine/rollout:')) await crash(p);
    ensureManager();
    await converged(3, TO, 'rollout');
    const moves = await audit.since(fromRollout, {
      userAgent: AGENTS.machine,
      resource: 'machines',
      verbs: ['patch', 'update'],
      // The spec only: a resource filter matches its subresources too (status writes).
      except: (e) => e.objectRef?.subresource !== undefined,
    });
    const byMachine = new Map<string, number>();
    for (const e of moves) byMachine.set(e.objectRef!.name!, (byMachine.get(e.objectRef!.name!) ?? 0) + 1);
    log(`rollout: spec writes per Machine (audit log) ${JSON.stringify(Object.fromEntries(byMachine))}`);
    assert.deepEqual(
      [...byMachine].sort(),
      [0, 1, 2].map((i) => [`${SET}-${i}`, 1]),
      `each Machine moved to the new template exactly once:\n${describeWrites(moves)}`,
    );

    // 3. scale down 3 → 2: the highest Machine, its Node and kwok's Node gone; no Machine created again.
    await applySet(2, TO);
    for (const p of stage('machine/scale-down:')) await crash(p);
    ensureManager();
    await converged(2, TO, 'scale down');

    const killed = outcomes.filter((o) => o.result === 'killed');
    log(`${killed.length} kills, ${outcomes.length - killed.length} points passed before they were armed`);
    assert.ok(chosen.length === 0 || killed.length > 0, 'at least one point killed the manager');

    // Machine writes that created objects (server-side apply creates with a PATCH; listed for the record).
    const creates = harness.events.filter(
      (e) => e.source === 'meta' && e.resource === 'machines' && e.verb === 'create' && e.userAgent === AGENTS.machine,
    );
    log(`Machine POST creates by the operator: ${creates.map((e) => e.name).join(', ') || '(none: server-side apply patches)'}`);

    // kwok processes: the live manager's one; before withParentDeathSignal each killed manager left its kwok running.
    const kwoks = kwokPids(env.business.server);
    log(`kwok processes for the business cluster now: ${kwoks.length} (pids ${kwoks.join(', ')}), after ${killed.length} kills`);
    assert.equal(kwoks.length, 1, 'one kwok, the live manager one: the kwok of a killed manager dies with it');

    // A quiet window: every Machine and the set woken by an annotation; no kokpit component writes to either server.
    await assertQuietWindow(env, harness, { namespace: NS, set: SET, machines: (await machines()).map((m) => m.metadata.name), log });
    log(outcomes.map(describeOutcome).join('\n  '));
  });
});
