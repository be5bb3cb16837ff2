// A member whose data volume is full (issue 19, faults): the cause read from the pod's termination message, the
// Degraded condition naming the member and etcd's words, and no replacement of that member.
import * as assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { diskFullCause } from '../../../../src/operators/etcd/disk';
import { DEFAULT_PLAN_OPTIONS, memberViews, plan, type PlanInput } from '../../../../src/operators/etcd/plan';
import { computeStatus } from '../../../../src/operators/etcd/status';

// The line etcd 3.5.35 logged when its disk filled (seen in test/integration/faults/etcd-disk-full.test.ts).
const FATAL =
  '{"level":"fatal","ts":"2026-12-06T01:22:05.227097Z","caller":"backend/batch_tx.go:282","msg":"failed to commit tx",' +
  '"error":"write /var/lib/etcd/data/member/snap/db: no space left on device",' +
  '"stacktrace":"go.etcd.io/etcd/server/v3/mvcc/backend.(*batchTx).commit"}';
const NOW = Date.parse('2026-12-06T01:23:00Z');

const pod = (etcd: Record<string, unknown>): V1Pod => ({ status: { containerStatuses: [{ name: 'etcd', ...etcd }] } }) as unknown as V1Pod;
const crashed = (message: string, exitCode = 1) => ({ terminated: { exitCode, reason: 'Error', message, finishedAt: new Date(NOW) } });

describe('etcd member with a full data volume', () => {
  it('diskFullCause: etcd’s message and error from the last ENOSPC line of the termination message', () => {
    const waiting = { waiting: { reason: 'CrashLoopBackOff' } };
    const cause = diskFullCause(pod({ state: waiting, lastState: crashed(`{"level":"info","msg":"starting"}\n${FATAL}\n`) }), NOW);
    assert.equal(cause, 'etcd exited with 1: failed to commit tx: write /var/lib/etcd/data/member/snap/db: no space left on device');
    // Running again just now (the crash loop's next try): still the cause.
    const justStarted = { running: { startedAt: new Date(NOW - 2000) } };
    assert.equal(diskFullCause(pod({ state: justStarted, lastState: crashed(FATAL) }), NOW), cause);
    // Not the disk: another error, a clean exit, no message, or a crash long ago with the member running since.
    assert.equal(
      diskFullCause(pod({ state: waiting, lastState: crashed('{"msg":"member has already been bootstrapped"}') }), NOW),
      undefined,
    );
    assert.equal(diskFullCause(pod({ state: waiting, lastState: crashed(FATAL, 0) }), NOW), undefined);
    assert.equal(diskFullCause(pod({ state: waiting, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }), NOW), undefined);
    const longRunning = { running: { startedAt: new Date(NOW - 10 * 60_000) } };
    assert.equal(diskFullCause(pod({ state: longRunning, lastState: crashed(FATAL) }), NOW), undefined);
    // Another log format: the line as it is.
    assert.equal(
      diskFullCause(pod({ state: crashed('panic: write wal: no space left on device') }), NOW),
      'etcd exited with 1: panic: write wal: no space left on device',
    );
  });

  const cause = 'etcd exited with 1: failed to commit tx: write /var/lib/etcd/data/member/snap/db: no space left on device';
  const input = (full: boolean, unhealthyMs: number): PlanInput => ({
    cluster: { name: 'e', namespace: 'ns' },
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
        i === 1
          ? {
              healthy: false,
              isLeader: false,
              isLearner: false,
              raftIndex: 0,
              raftAppliedIndex: 0,
              dbSize: 0,
              dbSizeInUse: 0,
              version: '',
              error: 'connection refused',
            }
          : {
              healthy: true,
              isLeader: i === 0,
              isLearner: false,
              raftIndex: 9,
              raftAppliedIndex: 9,
              dbSize: 100,
              dbSizeInUse: 60,
              version: '3.5.35',
            },
      ]),
    ),
    pods: ['e-0', 'e-1', 'e-2'].map((n) => ({
      name: n,
      ready: n !== 'e-1',
      terminating: false,
      version: '3.5.35',
      ...(full && n === 'e-1' ? { diskFull: cause } : {}),
    })),
    claims: ['e-0', 'e-1', 'e-2'].map((n) => ({ name: `${n}-data`, member: n, terminating: false })),
    durations: { unhealthyMs: { 'e-1': unhealthyMs }, learnerMs: {}, noQuorumMs: 0 },
    nextIndex: 3,
    options: DEFAULT_PLAN_OPTIONS,
  });
  const status = (i: PlanInput) =>
    computeStatus({ cluster: i.cluster, generation: 1, previous: undefined, views: memberViews(i), alarms: [], plan: plan(i), now: 'now' });

  it('Degraded MemberDiskFull names the member, its claim and etcd’s words; Available stays True', () => {
    const s = status(input(true, 5000));
    const degraded = s.conditions!.find((c) => c.type === 'Degraded')!;
    assert.equal(degraded.status, 'True');
    assert.equal(degraded.reason, 'MemberDiskFull');
    assert.equal(
      degraded.message,
      `e-1: data volume (claim e-1-data) full: ${cause}; free space on the volume or expand the claim: the member restarts by ` +
        'itself and catches up (not replaced: a new member would need the same space)',
    );
    assert.equal(s.members!.find((m) => m.name === 'e-1')!.message, `data volume full: ${cause}`);
    assert.equal(s.conditions!.find((c) => c.type === 'Available')!.status, 'True');
    // The same member unhealthy for another reason: MembersUnhealthy, as before.
    assert.equal(status(input(false, 5000)).conditions!.find((c) => c.type === 'Degraded')!.reason, 'MembersUnhealthy');
  });

  it('is not replaced past the grace period (another unhealthy member is)', () => {
    const past = DEFAULT_PLAN_OPTIONS.replaceUnhealthyAfterMs + 1;
    assert.equal(plan(input(true, past)).action.type, 'Wait');
    const other = plan(input(false, past)).action;
    assert.ok(other.type === 'RemoveMember' && other.reason === 'Replace' && other.member === 'e-1', JSON.stringify(other));
  });
});
