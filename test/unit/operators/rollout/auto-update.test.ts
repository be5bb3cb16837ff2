// Maintenance on its own (issue 17): `spec.maintenance.autoUpdate.patch` and moves off Unsupported or expired
// versions, decided by pure functions on a fixed clock: the newest Supported patch of the minor (or the next minor
// for a forced move), the window open or closed (an expired version ignores it), a FleetRollout holding the cluster,
// and an action in flight followed to its end (Succeeded, Failed, Superseded) — the record is the only memory.
import * as assert from 'node:assert/strict';
import type { BusinessCluster, FleetRollout, KubernetesVersion, MaintenanceRecord, MaintenanceWindow } from '../../../../src/api';
import { kubernetesVersion } from '../../../../src/catalog';
import { validateText } from '../../../../src/validation';
import {
  holdingRollout,
  maintenanceDecision,
  maintenanceRelevant,
  maintenanceTarget,
  type MaintenanceDecision,
} from '../../../../src/operators/rollout/render/maintenance';

const at = (iso: string) => new Date(iso);
const NOON = at('2026-01-06T12:00:00Z');
const nightly: MaintenanceWindow[] = [{ start: '22:00', duration: '2h', timeZone: 'UTC' }];
const version = (v: string, state: KubernetesVersion['spec']['state'] = 'Supported', expires?: string): KubernetesVersion => {
  const k = kubernetesVersion(v, state);
  return expires ? { ...k, spec: { ...k.spec, expires } } : k;
};
const catalog = [version('v1.32.0'), version('v1.32.5'), version('v1.32.13'), version('v1.32.14', 'Preview'), version('v1.33.13')];

interface Opts {
  v?: string;
  /** null: the control plane runs nothing yet. */
  running?: string | null;
  auto?: boolean;
  windows?: MaintenanceWindow[];
  ready?: boolean;
  paused?: boolean;
  last?: MaintenanceRecord;
  generation?: number;
  conditions?: { type: string; status: string; reason: string; message?: string; observedGeneration?: number }[];
}
function cluster(o: Opts = {}): BusinessCluster {
  const v = o.v ?? 'v1.32.0';
  const gen = o.generation ?? 1;
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { name: 'c', namespace: 'ns', generation: gen, labels: { env: 'prod' } },
    spec: {
      version: v,
      etcd: { clusterRef: { name: 'shared' } },
      ...(o.paused ? { paused: true } : {}),
      maintenance: { ...(o.windows ? { windows: o.windows } : {}), ...(o.auto === false ? {} : { autoUpdate: { patch: true } }) },
    },
    status: {
      ...(o.running === null ? {} : { version: o.running ?? v }),
      observedGeneration: gen,
      conditions: [
        { type: 'Ready', status: o.ready === false ? 'False' : 'True', reason: 'R', observedGeneration: gen },
        ...((o.conditions ?? []) as never[]),
      ],
      ...(o.last ? { maintenance: { last: o.last } } : {}),
    },
  } as BusinessCluster;
}
const decide = (o: Opts, now = NOON, cat: KubernetesVersion[] = catalog, rollout?: string) =>
  maintenanceDecision({ cluster: cluster(o), catalog: cat, now, ...(rollout ? { rollout } : {}) });
const brief = (d: MaintenanceDecision) =>
  `${d.setVersion ? `set ${d.setVersion}; ` : ''}${d.last ? `${d.last.action} ${d.last.from}→${d.last.to} ${d.last.result}; ` : ''}` +
  `${d.condition ? `${d.condition.status} ${d.condition.reason}` : 'no condition'}`;

describe('maintenance: the target', () => {
  it('the newest Supported patch of the minor, never a Preview, never older; a forced move may go to the next minor', () => {
    assert.equal(maintenanceTarget(catalog, 'v1.32.0', false, NOON), 'v1.32.13');
    assert.equal(maintenanceTarget(catalog, 'v1.32.13', false, NOON), undefined, 'v1.32.14 is Preview');
    assert.equal(maintenanceTarget(catalog, 'v1.32.13', true, NOON), 'v1.33.13');
    assert.equal(maintenanceTarget(catalog, 'v1.33.13', true, NOON), undefined, 'nothing newer at all');
    const withExpired = [...catalog.filter((v) => v.spec.version !== 'v1.32.13'), version('v1.32.13', 'Supported', '2026-01-01T00:00:00Z')];
    assert.equal(maintenanceTarget(withExpired, 'v1.32.0', false, NOON), 'v1.32.5', 'an expired version is never a target');
  });
});

describe('maintenance: autoUpdate.patch', () => {
  it('inside the window (no windows: always) it moves to the newest patch and records it InProgress', () => {
    const d = decide({});
    assert.equal(brief(d), 'set v1.32.13; PatchUpdate v1.32.0→v1.32.13 InProgress; True Updating');
    assert.equal(d.last?.startedAt, '2026-01-06T12:00:00Z');
    assert.equal(brief(decide({ windows: nightly }, at('2026-01-06T22:30:00Z'))), brief(d));
  });

  it('outside its window nothing is set; the condition says when the next opens', () => {
    const d = decide({ windows: nightly });
    assert.equal(brief(d), 'True WaitingForWindow');
    assert.equal(
      d.condition?.message,
      'autoUpdate.patch: v1.32.0 → v1.32.13 waits; the next maintenance window opens at 2026-01-06T22:00:00Z',
    );
    assert.ok(d.requeueAfterMs! > 0 && d.requeueAfterMs! <= 30_000);
  });

  it('already on the newest patch: up to date, nothing set; without autoUpdate (and a Supported version): no condition at all', () => {
    assert.equal(brief(decide({ v: 'v1.32.13' })), 'True UpToDate');
    assert.equal(decide({ v: 'v1.32.13' }).condition?.message, 'v1.32.13 is the newest Supported v1.32.x');
    assert.deepEqual(decide({ auto: false }), {});
  });

  it('a Deprecated version is updated like any other; an unready cluster, a paused one, one a rollout holds are left alone', () => {
    const deprecated = catalog.map((v) => (v.spec.version === 'v1.32.0' ? version('v1.32.0', 'Deprecated') : v));
    assert.equal(brief(decide({}, NOON, deprecated)), 'set v1.32.13; PatchUpdate v1.32.0→v1.32.13 InProgress; True Updating');
    assert.equal(brief(decide({ ready: false })), 'True WaitingForReady');
    assert.equal(brief(decide({ paused: true })), 'True Paused');
    const held = decide({}, NOON, catalog, 'cve-2026');
    assert.equal(brief(held), 'True InRollout');
    assert.equal(held.condition?.message, 'left to FleetRollout cve-2026, which holds this cluster');
    assert.equal(brief(decide({ running: 'v1.31.9' })), 'Unknown NotAtVersion', 'an upgrade someone else started runs first');
  });

  it('an invalid window refuses with the validator words', () => {
    const d = decide({ windows: [{ schedule: '0 2 * * Tux', duration: '2h', timeZone: 'UTC' }] });
    assert.equal(brief(d), 'False InvalidMaintenanceWindow');
    assert.match(d.condition!.message!, /schedule "0 2 \* \* Tux" is not a cron schedule/);
  });
});

describe('maintenance: a version that became Unsupported or expired', () => {
  const unsupported = catalog.map((v) => (v.spec.version === 'v1.32.0' ? version('v1.32.0', 'Unsupported') : v));
  const expired = catalog.map((v) => (v.spec.version === 'v1.32.0' ? version('v1.32.0', 'Supported', '2026-01-05T00:00:00Z') : v));

  it('Unsupported: moved off even without autoUpdate (and unready: the cluster operator refuses it), inside the window only', () => {
    assert.equal(
      brief(decide({ auto: false, ready: false }, NOON, unsupported)),
      'set v1.32.13; MoveOffUnsupported v1.32.0→v1.32.13 InProgress; True Updating',
    );
    assert.equal(brief(decide({ auto: false, windows: nightly }, NOON, unsupported)), 'True WaitingForWindow');
  });

  it('expired: moved off at once, the window closed or not', () => {
    assert.equal(
      brief(decide({ auto: false, windows: nightly }, NOON, expired)),
      'set v1.32.13; MoveOffExpired v1.32.0→v1.32.13 InProgress; True Updating',
    );
    const later = catalog.map((v) => (v.spec.version === 'v1.32.0' ? version('v1.32.0', 'Supported', '2026-01-06T12:01:00Z') : v));
    const before = decide({ auto: false }, NOON, later);
    assert.equal(brief(before), 'no condition', 'not expired yet: nothing');
    assert.equal(before.requeueAfterMs, 60_000, 'looked at again when it expires');
  });

  it('no newer Supported patch of the minor: the next minor; none at all: a condition says so', () => {
    const only133 = [version('v1.32.13', 'Unsupported'), version('v1.33.13')];
    assert.equal(
      brief(decide({ v: 'v1.32.13', auto: false }, NOON, only133)),
      'set v1.33.13; MoveOffUnsupported v1.32.13→v1.33.13 InProgress; True Updating',
    );
    const none = decide({ v: 'v1.32.13', auto: false }, NOON, [version('v1.32.13', 'Unsupported'), version('v1.34.1')]);
    assert.equal(brief(none), 'False NoTarget');
    assert.equal(
      none.condition?.message,
      'v1.32.13 is Unsupported, and the catalog has no newer Supported v1.32.x or v1.33.x to move to; add one (kokpit versions add)',
    );
  });

  it('a new cluster asking for an Unsupported version is not moved (the cluster operator refuses it)', () => {
    assert.deepEqual(decide({ auto: false, running: null }, NOON, unsupported), {});
  });
});

describe('maintenance: an action in flight', () => {
  const started: MaintenanceRecord = {
    action: 'PatchUpdate',
    from: 'v1.32.0',
    to: 'v1.32.13',
    startedAt: '2026-01-06T12:00:00Z',
    result: 'InProgress',
    message: 'autoUpdate.patch',
  };
  const later = at('2026-01-06T12:05:00Z');

  it('after a restart between the status and the spec write, the spec is written again; while it upgrades, nothing more', () => {
    assert.equal(brief(decide({ last: started }, later)), 'set v1.32.13; PatchUpdate v1.32.0→v1.32.13 InProgress; True Updating');
    assert.equal(
      brief(decide({ v: 'v1.32.13', running: 'v1.32.0', ready: false, generation: 2, last: started }, later)),
      'PatchUpdate v1.32.0→v1.32.13 InProgress; True Updating',
    );
  });

  it('Ready at the target: Succeeded (and up to date); a refusal or the deadline: Failed; a newer spec.version: Superseded', () => {
    const ok = decide({ v: 'v1.32.13', generation: 2, last: started }, later);
    assert.equal(brief(ok), 'PatchUpdate v1.32.0→v1.32.13 Succeeded; True UpToDate');
    assert.deepEqual([ok.last?.finishedAt, ok.last?.message], ['2026-01-06T12:05:00Z', 'Ready at v1.32.13']);
    const refused = [
      { type: 'CatalogValid', status: 'False', reason: 'VersionNotUsable', message: 'v1.32.13 is Unsupported', observedGeneration: 1 },
    ];
    const failed = decide({ v: 'v1.32.13', running: 'v1.32.0', ready: false, conditions: refused, last: started }, later);
    assert.equal(brief(failed), 'PatchUpdate v1.32.0→v1.32.13 Failed; Unknown NotAtVersion');
    assert.equal(failed.last?.message, 'VersionNotUsable: v1.32.13 is Unsupported');
    const slow = decide({ v: 'v1.32.13', running: 'v1.32.0', ready: false, generation: 2, last: started }, at('2026-01-06T12:31:00Z'));
    assert.match(slow.last!.message!, /^not Ready at v1\.32\.13 within 30m/);
    assert.equal(slow.last?.result, 'Failed');
    const superseded = decide({ v: 'v1.33.13', running: 'v1.32.0', generation: 2, last: started }, later);
    assert.equal(superseded.last?.result, 'Superseded');
    assert.equal(superseded.setVersion, undefined);
  });
});

describe('maintenance: which clusters it looks at, and which a rollout holds', () => {
  it('only clusters with autoUpdate, a record, or a version that is Unsupported or has an end of life', () => {
    assert.equal(maintenanceRelevant(cluster({}), catalog), true);
    assert.equal(maintenanceRelevant(cluster({ auto: false }), catalog), false);
    assert.equal(maintenanceRelevant(cluster({ auto: false }), [version('v1.32.0', 'Unsupported')]), true);
    assert.equal(maintenanceRelevant(cluster({ auto: false }), [version('v1.32.0', 'Supported', '2027-01-01T00:00:00Z')]), true);
  });

  it('an unfinished rollout that selects the cluster or has an unfinished row for it holds it; a finished one does not', () => {
    const rollout = (name: string, status: FleetRollout['status'], env = 'prod'): FleetRollout =>
      ({
        metadata: { name },
        spec: { target: { kubernetesVersion: 'v1.33.13' }, clusters: { selector: { matchLabels: { env } } }, waves: [] },
        status,
      }) as unknown as FleetRollout;
    const bc = cluster({});
    assert.equal(holdingRollout([rollout('a', { phase: 'WaitingForWindow' })], bc), 'a');
    assert.equal(holdingRollout([rollout('a', { phase: 'Succeeded' })], bc), undefined);
    assert.equal(holdingRollout([rollout('a', { phase: 'Pending' }, 'dev')], bc), undefined);
    const row = { namespace: 'ns', name: 'c', wave: 'all', state: 'Upgrading' as const };
    assert.equal(holdingRollout([rollout('b', { phase: 'Progressing', clusters: [row] }, 'dev')], bc), 'b', 'relabelled mid-flight');
    const refused = { phase: 'Pending' as const, conditions: [{ type: 'Valid', status: 'False' as const, reason: 'OverlappingRollout' }] };
    assert.equal(holdingRollout([rollout('c', refused)], bc), undefined);
  });
});

describe('maintenance: the new fields in the editor and kokpit validate (the same schema as the CRDs)', () => {
  const lines = (text: string) => validateText(text).map((d) => `${d.line} ${d.code} ${d.path}: ${d.message}`);
  it('autoUpdate.patch is a boolean and autoUpdate has no other field', () => {
    const text =
      'apiVersion: kokpit.dev/v1alpha1\nkind: BusinessCluster\nmetadata:\n  name: dev\nspec:\n  version: v1.32.13\n' +
      '  etcd:\n    managed:\n      replicas: 1\n  maintenance:\n    autoUpdate:\n      patch: "yes"\n      minor: true\n';
    assert.deepEqual(lines(text), [
      '12 type spec.maintenance.autoUpdate.patch: spec.maintenance.autoUpdate.patch must be a boolean (true or false); got a string "yes"',
      '13 unknown-field spec.maintenance.autoUpdate.minor: unknown field "minor" in spec.maintenance.autoUpdate (allowed: patch)',
    ]);
    assert.deepEqual(lines(text.replace('"yes"\n      minor: true', 'true')), []);
  });
  it('KubernetesVersion spec.expires is an RFC 3339 date-time', () => {
    const text =
      'apiVersion: kokpit.dev/v1alpha1\nkind: KubernetesVersion\nmetadata:\n  name: v1.32.0\nspec:\n  version: v1.32.0\n' +
      '  expires: next tuesday\n' +
      '  images: {kubeAPIServer: a, kubeControllerManager: a, kubeScheduler: a, kubeProxy: a, coreDNS: a, pause: a}\n' +
      '  etcd: {minVersion: 3.5.11, recommendedVersion: 3.5.35}\n';
    assert.deepEqual(lines(text), [
      '7 pattern spec.expires: spec.expires "next tuesday" must be an RFC 3339 date-time like "2026-06-30T00:00:00Z"',
    ]);
    assert.deepEqual(lines(text.replace('next tuesday', '"2026-06-30T00:00:00Z"')), []);
  });
});
