// The planner as tables: observed world in, ONE next action out.
import * as assert from 'node:assert/strict';
import { memberPeerURL } from '../../../../src/operators/etcd/names';
import { DEFAULT_PLAN_OPTIONS, type EtcdMemberFacts, type MemberHealth, type PlanInput, plan } from '../../../../src/operators/etcd/plan';

const cluster = { name: 'e', namespace: 'ns' };
const url = (n: string) => memberPeerURL(cluster, n);

interface M {
  name: string;
  id?: string;
  learner?: boolean;
  started?: boolean;
  pod?: boolean | { version?: string; ready?: boolean; terminating?: boolean; secretHash?: string; initialCluster?: string[] };
  claim?: boolean | 'terminating';
  health?: Partial<MemberHealth> | 'down';
  inEtcd?: boolean;
}

function world(members: M[], over: Partial<PlanInput> = {}, alarms: string[] = []): PlanInput {
  const etcdMembers: EtcdMemberFacts[] = members
    .filter((m) => m.inEtcd !== false)
    .map((m, i) => ({
      id: m.id ?? `a${i}`,
      name: m.started === false ? '' : m.name,
      peerURLs: [url(m.name)],
      clientURLs: [],
      isLearner: !!m.learner,
    }));
  const health: PlanInput['health'] = {};
  for (const m of members) {
    if (m.health === 'down')
      health[m.name] = {
        healthy: false,
        isLeader: false,
        isLearner: !!m.learner,
        raftIndex: 0,
        raftAppliedIndex: 0,
        dbSize: 0,
        dbSizeInUse: 0,
        version: '',
        error: 'connection refused',
      };
    else if (m.pod !== false)
      health[m.name] = {
        healthy: true,
        isLeader: false,
        isLearner: !!m.learner,
        raftIndex: 100,
        raftAppliedIndex: 100,
        dbSize: 1000,
        dbSizeInUse: 1000,
        version: '3.5.35',
        ...m.health,
      };
  }
  return {
    cluster,
    desired: { replicas: 3, version: '3.5.35' },
    desiredSecretHash: {},
    bootstrapped: true,
    knownMembers: members.map((m) => m.name),
    etcd: { members: etcdMembers, alarms },
    health,
    pods: members
      .filter((m) => m.pod !== false)
      .map((m) => {
        const p = typeof m.pod === 'object' ? m.pod : {};
        return {
          name: m.name,
          phase: 'Running',
          ready: p.ready ?? true,
          terminating: !!p.terminating,
          version: p.version ?? '3.5.35',
          secretHash: p.secretHash,
          initialCluster: p.initialCluster,
        };
      }),
    claims: members
      .filter((m) => m.claim !== false)
      .map((m) => ({ name: `${m.name}-data`, member: m.name, terminating: m.claim === 'terminating' })),
    durations: { unhealthyMs: {}, learnerMs: {}, noQuorumMs: 0 },
    nextIndex: Math.max(-1, ...members.map((m) => Number(m.name.split('-')[1]))) + 1,
    options: DEFAULT_PLAN_OPTIONS,
    ...over,
  };
}

const leader = { isLeader: true };
const three = (): M[] => [{ name: 'e-0', health: leader }, { name: 'e-1' }, { name: 'e-2' }];

describe('etcd planner', () => {
  it('forms a new cluster at its full size at once (static bootstrap), then waits for it', () => {
    const unformed = { bootstrapped: false, etcd: undefined, knownMembers: [] };
    const all = ['e-0', 'e-1', 'e-2'];
    const fresh = world([], unformed);
    assert.deepEqual(plan(fresh).action, {
      type: 'Bootstrap',
      members: all,
      initialCluster: all.map((n) => ({ name: n, peerURL: url(n) })),
    });
    assert.equal(plan(fresh).phase, 'Bootstrapping');
    const single = world([], { ...unformed, desired: { replicas: 1, version: '3.5.35' } });
    assert.deepEqual(plan(single).action, { type: 'Bootstrap', members: ['e-0'], initialCluster: [{ name: 'e-0', peerURL: url('e-0') }] });
    const starting = world(
      all.map((name) => ({ name, health: 'down' as const, pod: { initialCluster: all } })),
      unformed,
    );
    assert.equal(plan(starting).action.type, 'Wait');
    assert.equal(plan(starting).phase, 'Bootstrapping');
  });

  it('after a crash half-way through a bootstrap, creates the rest of the set the first pod was started with', () => {
    const unformed = { bootstrapped: false, etcd: undefined, knownMembers: [] };
    // e-0 was started with e-0..e-2; the spec now says 5: the set a pod started with wins (another set would never form).
    const half = world([{ name: 'e-0', health: 'down', pod: { initialCluster: ['e-0', 'e-1', 'e-2'] } }], {
      ...unformed,
      desired: { replicas: 5, version: '3.5.35' },
    });
    assert.deepEqual(plan(half).action, {
      type: 'Bootstrap',
      members: ['e-1', 'e-2'],
      initialCluster: ['e-0', 'e-1', 'e-2'].map((n) => ({ name: n, peerURL: url(n) })),
    });
    // Only a claim was made (no pod ran, so no data): it is kept and the set filled up with new names.
    const claimOnly = world([{ name: 'e-0', pod: false, health: 'down' }], unformed);
    const a = plan(claimOnly).action;
    assert.ok(a.type === 'Bootstrap');
    assert.deepEqual(a.members, ['e-0', 'e-1', 'e-2']);
  });

  it('restores into a seed member first, then waits for it', () => {
    const restoring = { bootstrapped: false, etcd: undefined, knownMembers: [], restore: { state: 'Ready' as const, backupName: 'b' } };
    assert.deepEqual(plan(world([], restoring)).action, { type: 'CreateSeed', member: 'e-0', restoreFrom: 'b' });
    const starting = world([{ name: 'e-0', health: 'down' }], restoring);
    assert.equal(plan(starting).action.type, 'Wait');
    assert.equal(plan(starting).phase, 'Restoring');
  });

  it('scales up membership first: add a learner, then its pod (state existing, whole member list), then promote', () => {
    const one = world([{ name: 'e-0', health: leader }]);
    assert.deepEqual(plan(one).action, { type: 'AddLearner', member: 'e-1', peerURL: url('e-1') });

    const added = world([
      { name: 'e-0', health: leader },
      { name: 'e-1', learner: true, started: false, pod: false, claim: false },
    ]);
    const create = plan(added).action;
    assert.equal(create.type, 'CreateMember');
    assert.ok(create.type === 'CreateMember');
    assert.equal(create.reason, 'Join');
    assert.deepEqual(
      create.initialCluster.map((p) => p.name),
      ['e-0', 'e-1'],
    );

    const lagging = world([
      { name: 'e-0', health: { ...leader, raftIndex: 1000 } },
      { name: 'e-1', learner: true, health: { raftAppliedIndex: 10 } },
    ]);
    assert.equal(plan(lagging).action.type, 'Wait');
    const caughtUp = world([
      { name: 'e-0', health: { ...leader, raftIndex: 1000 } },
      { name: 'e-1', id: 'b1', learner: true, health: { raftAppliedIndex: 995 } },
    ]);
    assert.deepEqual(plan(caughtUp).action, { type: 'PromoteLearner', member: 'e-1', id: 'b1' });
  });

  it('adds no member while a voter is unhealthy', () => {
    const w = world([{ name: 'e-0', health: leader }, { name: 'e-1', health: 'down' }, { name: 'e-2' }], {
      desired: { replicas: 5, version: '3.5.35' },
    });
    const a = plan(w).action;
    assert.equal(a.type, 'Wait');
  });

  it('scales down by removing the newest follower from etcd first, never the leader, then deletes its resources', () => {
    const five = world([{ name: 'e-0' }, { name: 'e-1', health: leader }, { name: 'e-2' }, { name: 'e-3' }, { name: 'e-4', id: 'x4' }]);
    assert.deepEqual(plan(five).action, {
      type: 'RemoveMember',
      member: 'e-4',
      id: 'x4',
      reason: 'ScaleDown',
      message: 'scaling from 5 to 3 members',
    });
    const leaderNewest = world([
      { name: 'e-0' },
      { name: 'e-1' },
      { name: 'e-2' },
      { name: 'e-3', id: 'x3' },
      { name: 'e-4', health: leader },
    ]);
    const a = plan(leaderNewest).action;
    assert.ok(a.type === 'RemoveMember' && a.member === 'e-3');
    const removed = world([...three(), { name: 'e-4', inEtcd: false }]);
    assert.equal(plan(removed).action.type, 'DeleteMemberResources');
  });

  it('heals: a member without pod but with data rejoins; one whose data is gone is removed', () => {
    const podGone = world([{ name: 'e-0', health: leader }, { name: 'e-1', pod: false }, { name: 'e-2' }]);
    const a = plan(podGone).action;
    assert.ok(a.type === 'CreateMember' && a.reason === 'Rejoin' && a.member === 'e-1');
    const dataGone = world([{ name: 'e-0', health: leader }, { name: 'e-1', id: 'dead', pod: false, claim: false }, { name: 'e-2' }]);
    assert.deepEqual(plan(dataGone).action, {
      type: 'RemoveMember',
      member: 'e-1',
      id: 'dead',
      reason: 'DataLost',
      message: 'e-1 lost its data volume',
    });
  });

  it('replaces a member unhealthy past the grace period, not before', () => {
    const sick = (ms: number) =>
      world([{ name: 'e-0', health: leader }, { name: 'e-1', id: 's1', health: 'down' }, { name: 'e-2' }], {
        durations: { unhealthyMs: { 'e-1': ms }, learnerMs: {}, noQuorumMs: 0 },
      });
    assert.equal(plan(sick(1000)).action.type, 'Wait');
    const a = plan(sick(DEFAULT_PLAN_OPTIONS.replaceUnhealthyAfterMs)).action;
    assert.ok(a.type === 'RemoveMember' && a.reason === 'Replace' && a.id === 's1');
  });

  it('never removes a member when that would cost quorum; reports QuorumLost with the restore command after a while', () => {
    const w = (ms: number) =>
      world(
        [
          { name: 'e-0', health: 'down' },
          { name: 'e-1', health: 'down' },
          { name: 'e-2', health: leader },
        ],
        {
          durations: { unhealthyMs: { 'e-0': 1e9, 'e-1': 1e9 }, learnerMs: {}, noQuorumMs: ms },
        },
      );
    const early = plan(w(1000));
    assert.equal(early.action.type, 'Wait');
    const late = plan(w(DEFAULT_PLAN_OPTIONS.quorumLostAfterMs));
    assert.equal(late.action.type, 'QuorumLost');
    assert.ok(
      late.action.type === 'QuorumLost' && /kokpit restore <backup> --into <new-etcd-cluster> -n ns --wait/.test(late.action.message),
    );
  });

  it('refuses even replica counts and downgrades with precise problems, changing nothing', () => {
    const even = plan(world(three(), { desired: { replicas: 4, version: '3.5.35' } }));
    assert.equal(even.action.type, 'None');
    assert.match(even.problems[0].message, /spec\.replicas 4 is not allowed: use 1, 3 or 5/);
    const down = plan(world(three(), { desired: { replicas: 3, version: '3.5.30' } }));
    assert.equal(down.action.type, 'None');
    assert.equal(down.problems[0].reason, 'Downgrade');
    assert.equal(down.version, '3.5.35');
  });

  it('upgrades followers first and the leader last, one restart at a time', () => {
    const members: M[] = [
      { name: 'e-0', health: leader, pod: { version: '3.5.34' } },
      { name: 'e-1', pod: { version: '3.5.34' } },
      { name: 'e-2', pod: { version: '3.5.34' } },
    ];
    for (const m of members) m.health = { ...(m.health as object), version: '3.5.34' };
    const first = plan(world(members, { desired: { replicas: 3, version: '3.5.35' } }));
    assert.ok(first.action.type === 'RestartMember' && first.action.member === 'e-1' && first.action.reason === 'Upgrade');
    assert.equal(first.phase, 'Upgrading');
    const leaderLeft = plan(
      world([{ name: 'e-0', health: { ...leader, version: '3.5.34' }, pod: { version: '3.5.34' } }, { name: 'e-1' }, { name: 'e-2' }], {
        desired: { replicas: 3, version: '3.5.35' },
      }),
    );
    assert.ok(leaderLeft.action.type === 'RestartMember' && leaderLeft.action.member === 'e-0');
    const notReady = plan(
      world([{ name: 'e-0', health: leader, pod: { version: '3.5.34' } }, { name: 'e-1', pod: { ready: false } }, { name: 'e-2' }], {
        desired: { replicas: 3, version: '3.5.35' },
      }),
    );
    assert.equal(notReady.action.type, 'Wait');
  });

  it('recovers NOSPACE: compact, defragment followers then the leader, disarm', () => {
    const a = plan(world(three(), {}, ['NOSPACE:a0'])).action;
    assert.deepEqual(a, { type: 'RecoverNoSpace', members: ['e-1', 'e-2', 'e-0'] });
  });

  it('creates nothing for a restore from a missing backup', () => {
    const p = plan(
      world([], {
        bootstrapped: false,
        etcd: undefined,
        knownMembers: [],
        restore: { state: 'Invalid', backupName: 'b', reason: 'BackupNotFound', message: 'EtcdBackup b does not exist' },
      }),
    );
    assert.equal(p.action.type, 'Wait');
    assert.equal(p.problems[0].reason, 'BackupNotFound');
  });

  it('is quiet when all is well', () => {
    assert.deepEqual(plan(world(three())).action, { type: 'None' });
  });
});
