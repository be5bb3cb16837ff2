// PKI idempotency and status computation of the etcd operator.
import * as assert from 'node:assert/strict';
import { certInfo } from '../../../../src/pki';
import { DEFAULT_PLAN_OPTIONS, memberViews, plan, type PlanInput } from '../../../../src/operators/etcd/plan';
import { ensureCA, ensureClientTLS, ensureMemberTLS } from '../../../../src/operators/etcd/pki';
import { computeStatus, setCondition } from '../../../../src/operators/etcd/status';

const ref = { name: 'e', namespace: 'ns' };

describe('etcd PKI', () => {
  it('issues once and keeps stored certificates byte for byte', async () => {
    const ca = await ensureCA(ref, undefined);
    assert.equal(ca.issued, 'CA missing');
    const again = await ensureCA(ref, { 'ca.crt': ca.files.certPem, 'ca.key': ca.files.keyPem });
    assert.equal(again.issued, undefined);
    assert.equal(again.files.certPem, ca.files.certPem);

    const m = await ensureMemberTLS(ref, 'e-0', ca.files, undefined);
    assert.equal(m.issued, 'server certificate missing; peer certificate missing');
    const info = certInfo(m.files['server.crt']);
    assert.ok(info.dnsNames.includes('e-0.e-peers.ns.svc'));
    assert.ok(info.dnsNames.includes('e-client.ns.svc'));
    assert.ok(info.ipAddresses.includes('127.0.0.1'));
    const kept = await ensureMemberTLS(ref, 'e-0', ca.files, { ...m.files });
    assert.equal(kept.issued, undefined);
    assert.deepEqual(kept.files, m.files);

    const client = await ensureClientTLS(ref, ca.files, undefined);
    assert.deepEqual(certInfo(client.files['tls.crt']).usages, ['client']);
    assert.equal((await ensureClientTLS(ref, ca.files, { ...client.files })).issued, undefined);
  });

  it('reissues a member certificate that another CA signed or whose key was swapped', async () => {
    const ca = (await ensureCA(ref, undefined)).files;
    const other = (await ensureCA(ref, undefined)).files;
    const m = await ensureMemberTLS(ref, 'e-1', other, undefined);
    const r = await ensureMemberTLS(ref, 'e-1', ca, { ...m.files });
    assert.match(r.issued ?? '', /not signed by the CA/);
    const good = await ensureMemberTLS(ref, 'e-1', ca, undefined);
    const swapped = await ensureMemberTLS(ref, 'e-1', ca, { ...good.files, 'server.key': good.files['peer.key'] });
    assert.match(swapped.issued ?? '', /server certificate key does not match/);
  });
});

describe('etcd status', () => {
  const input = (leaderHealthy: boolean): PlanInput => ({
    cluster: ref,
    desired: { replicas: 3, version: '3.5.35' },
    desiredSecretHash: {},
    bootstrapped: true,
    knownMembers: ['e-0', 'e-1', 'e-2'],
    etcd: {
      members: ['e-0', 'e-1', 'e-2'].map((n, i) => ({ id: `a${i}`, name: n, peerURLs: [], clientURLs: [], isLearner: false })),
      alarms: [],
    },
    health: Object.fromEntries(
      ['e-0', 'e-1', 'e-2'].map((n, i) => [
        n,
        {
          healthy: i === 0 ? leaderHealthy : true,
          isLeader: i === 0,
          isLearner: false,
          raftIndex: 9,
          raftAppliedIndex: 9,
          dbSize: 100,
          dbSizeInUse: 60,
          version: i === 2 ? '3.5.34' : '3.5.35',
        },
      ]),
    ),
    pods: ['e-0', 'e-1', 'e-2'].map((n) => ({ name: n, ready: true, terminating: false, version: '3.5.35' })),
    claims: [],
    durations: { unhealthyMs: {}, learnerMs: {}, noQuorumMs: 0 },
    nextIndex: 3,
    options: DEFAULT_PLAN_OPTIONS,
  });

  it('a steady cluster gives the same status: sizes move in 10 % steps, the raft index is not published', () => {
    const at = (dbSize: number, raftIndex: number, previous?: ReturnType<typeof computeStatus>) => {
      const i = input(true);
      const moved = { dbSize, dbSizeInUse: 60, raftIndex, raftAppliedIndex: raftIndex };
      for (const h of Object.values(i.health)) Object.assign(h!, moved);
      return computeStatus({
        cluster: ref,
        generation: 4,
        previous,
        views: memberViews(i),
        alarms: [],
        plan: plan(i),
        now: '2026-01-01T00:00:00Z',
      });
    };
    const first = at(100, 9);
    const later = at(109, 5000, first);
    assert.deepEqual(later, first, 'raft index 9 -> 5000 and size +9 %: the same status, no write');
    assert.ok(first.members!.every((m) => m.raftIndex === undefined));
    assert.deepEqual(
      at(110, 5000, first).members!.map((m) => m.dbSize),
      [110, 110, 110],
      '+10 %: published',
    );
  });

  it('reports members, leader, the oldest version, and conditions at the generation', () => {
    const i = input(true);
    const s = computeStatus({
      cluster: ref,
      generation: 4,
      previous: undefined,
      views: memberViews(i),
      alarms: [],
      plan: plan(i),
      now: '2026-01-01T00:00:00Z',
    });
    assert.equal(s.leader, 'e-0');
    assert.equal(s.readyMembers, 3);
    assert.equal(s.currentVersion, '3.5.34');
    assert.deepEqual(
      s.members!.map((m) => [m.name, m.id, m.healthy, m.leader, m.learner, m.dbSize, m.dbSizeInUse]),
      [
        ['e-0', 'a0', true, true, false, 100, 60],
        ['e-1', 'a1', true, false, false, 100, 60],
        ['e-2', 'a2', true, false, false, 100, 60],
      ],
    );
    const available = s.conditions!.find((c) => c.type === 'Available')!;
    assert.equal(available.status, 'True');
    assert.equal(available.observedGeneration, 4);
    assert.equal(s.observedGeneration, 4);
  });

  it('keeps lastTransitionTime while a condition holds, and moves it when it flips', () => {
    const prev = [{ type: 'Available', status: 'True' as const, lastTransitionTime: '2020-01-01T00:00:00Z' }];
    assert.equal(setCondition(prev, { type: 'Available', status: 'True' }, 'now').lastTransitionTime, '2020-01-01T00:00:00Z');
    assert.equal(setCondition(prev, { type: 'Available', status: 'False' }, 'now').lastTransitionTime, 'now');
  });

  it('a cluster that lost every member (pods, data, no answer) stays QuorumLost: status keeps the members etcd last listed', () => {
    // What the reconciler derives from the previous status: the members with an ID are the ones the cluster was formed with.
    const pass = (previous: ReturnType<typeof computeStatus>) => {
      const knownMembers = previous.members!.filter((m) => m.id).map((m) => m.name);
      const i: PlanInput = { ...input(true), bootstrapped: knownMembers.length > 0, knownMembers, etcd: undefined, health: {}, pods: [] };
      const p = plan(i);
      return {
        plan: p,
        status: computeStatus({ cluster: ref, generation: 4, previous, views: memberViews(i), alarms: [], plan: p, now: 'now' }),
      };
    };
    const healthy = input(true);
    const first = computeStatus({
      cluster: ref,
      generation: 4,
      previous: undefined,
      views: memberViews(healthy),
      alarms: [],
      plan: plan(healthy),
      now: 'now',
    });
    const lost = pass(first);
    assert.equal(lost.plan.action.type, 'QuorumLost');
    assert.deepEqual(
      lost.status.members!.map((m) => [m.name, m.id, m.healthy, m.leader]),
      [
        ['e-0', 'a0', false, false],
        ['e-1', 'a1', false, false],
        ['e-2', 'a2', false, false],
      ],
    );
    // The next pass still knows the cluster was formed: QuorumLost again, no new (empty) cluster bootstrapped.
    const again = pass(lost.status);
    assert.equal(again.plan.action.type, 'QuorumLost');
    assert.equal(again.status.conditions!.find((c) => c.type === 'QuorumLost')?.status, 'True');
  });

  it('marks the cluster Degraded when a member is unhealthy', () => {
    const i = input(false);
    const s = computeStatus({
      cluster: ref,
      generation: 1,
      previous: undefined,
      views: memberViews(i),
      alarms: [],
      plan: plan(i),
      now: 'now',
    });
    const degraded = s.conditions!.find((c) => c.type === 'Degraded')!;
    assert.equal(degraded.status, 'True');
    assert.equal(degraded.reason, 'MembersUnhealthy');
    assert.equal(s.leader, undefined);
  });
});
