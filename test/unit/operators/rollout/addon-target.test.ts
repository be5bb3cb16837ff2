// FleetRollout with an addon target (spec.target.addon): which clusters are targets (only those listing the addon),
// the catalog check of the version, and how a pass moves the pins wave by wave, from the BusinessClusters' own
// spec.addons and status.addons as the cluster operator writes them.
import * as assert from 'node:assert/strict';
import type { Addon, BusinessCluster, FleetRolloutSpec, RolloutClusterStatus } from '../../../../src/api';
import { parseFlags } from '../../../../src/cli/args';
import { describePlan, specFromFlags } from '../../../../src/cli/commands/rollout';
import { mentions, movingTo } from '../../../../src/fleet/rollouts';
import { advance, clusterFacts, planRows, selects } from '../../../../src/operators/rollout/render/plan';
import { addonTargetProblem } from '../../../../src/operators/rollout/render/target';
import { rolloutSpecProblems } from '../../../../src/validation/rules/rollout';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);
const OLD = '1.11.3';
const NEW = '1.12.1';

function spec(over: Partial<FleetRolloutSpec> = {}): FleetRolloutSpec {
  return {
    target: { addon: { name: 'coredns', version: NEW } },
    clusters: { selector: { matchLabels: { env: 'prod' } } },
    waves: [
      { name: 'one', clusters: 1, maxConcurrency: 1, soak: '60s' },
      { name: 'rest', clusters: '100%', maxConcurrency: 2, soak: '60s' },
    ],
    maxFailures: 0,
    progressDeadline: '10m',
    paused: false,
    ...over,
  };
}

/** A BusinessCluster as the cluster operator leaves it: Ready, coredns pinned at `pin` and reported at `running`. */
function bc(
  name: string,
  o: { pin?: string; running?: string; addonReady?: boolean; coredns?: boolean; gen?: number } = {},
): BusinessCluster {
  const gen = o.gen ?? 1;
  const coredns = o.coredns ?? true;
  return {
    apiVersion: 'kokpit.dev/v1alpha1',
    kind: 'BusinessCluster',
    metadata: { name, namespace: 'ns', labels: { env: 'prod' }, generation: gen },
    spec: {
      version: 'v1.33.13',
      etcd: { managed: { replicas: 1 } },
      addons: [...(coredns ? [{ name: 'coredns', ...(o.pin ? { version: o.pin } : {}) }] : []), { name: 'kube-proxy' }],
    },
    status: {
      version: 'v1.33.13',
      observedGeneration: 1,
      addons: [
        ...(coredns ? [{ name: 'coredns', version: o.running ?? OLD, ready: o.addonReady ?? true }] : []),
        { name: 'kube-proxy', version: '1.33.13', ready: true },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterReady', observedGeneration: 1 }],
    },
  } as BusinessCluster;
}

const facts = (list: BusinessCluster[]) => new Map(list.map(clusterFacts).map((f) => [`${f.namespace}/${f.name}`, f]));
const states = (rows: RolloutClusterStatus[]) => rows.map((r) => `${r.name}:${r.state}`).join(' ');
const addon = (name: string, version: string, over: Partial<Addon['spec']> = {}): Addon =>
  ({ apiVersion: 'kokpit.dev/v1alpha1', kind: 'Addon', metadata: { name }, spec: { version, manifests: '', ...over } }) as unknown as Addon;

function pass(s: FleetRolloutSpec, rows: RolloutClusterStatus[], clusters: BusinessCluster[], t: number) {
  return advance({ spec: s, target: NEW, rows, facts: facts(clusters), now: at(t), paused: false });
}

describe('rollout operator: addon targets', () => {
  it('only clusters that list the addon are targets; its pin and reported version are read from spec and status', () => {
    const [with_, without] = [clusterFacts(bc('a', { pin: OLD })), clusterFacts(bc('b', { coredns: false }))];
    assert.deepEqual(with_.addons?.coredns, { pinned: OLD, running: OLD, ready: true });
    assert.equal(selects(spec(), with_), true);
    assert.equal(selects(spec(), without), false, 'no coredns in spec.addons: not a target');
    assert.equal(selects(spec({ target: { kubernetesVersion: 'v1.33.13' } }), without), true, 'a Kubernetes target takes it');
    // A status for an older generation says nothing about the current pin.
    assert.equal(clusterFacts(bc('c', { gen: 2 })).addons?.coredns.ready, false);
  });

  it('the catalog must offer exactly that version of that addon; the refusal names what it offers', () => {
    const catalog = [addon('coredns', OLD), addon('coredns-1-12-1', NEW, { name: 'coredns' }), addon('kube-proxy', '1.33.13')];
    assert.equal(addonTargetProblem({ name: 'coredns', version: NEW }, catalog), undefined);
    assert.deepEqual(addonTargetProblem({ name: 'coredns', version: '9.9.9' }, catalog), {
      reason: 'AddonVersionNotOffered',
      message: 'spec.target.addon.version 9.9.9 is not offered by addon coredns; available: 1.11.3, 1.12.1',
    });
    assert.equal(addonTargetProblem({ name: 'cilium', version: '1.0.0' }, catalog)?.reason, 'AddonNotInCatalog');
    assert.equal(
      addonTargetProblem({ name: 'coredns', version: OLD }, [...catalog, addon('coredns-dup', OLD, { name: 'coredns' })])?.reason,
      'AddonVersionAmbiguous',
    );
  });

  it('pins move wave by wave: Upgrading until the addon is reported ready at the target, then soak, then the next wave', () => {
    const s = spec();
    let clusters = [bc('a'), bc('b', { pin: OLD }), bc('c')];
    let rows = planRows(s, [...facts(clusters).values()], undefined, false);
    let adv = pass(s, rows, clusters, 0);
    assert.equal(states(adv.rows), 'a:Upgrading b:Pending c:Pending');
    assert.equal(adv.rows[0].message, `spec.addons[coredns].version default → ${NEW}`);
    assert.deepEqual([adv.rows[0].from, adv.rows[0].to], [OLD, NEW]);
    assert.deepEqual(
      adv.inFlight.map((r) => r.name),
      ['a'],
    );
    // The pin moved (generation 2) but the cluster operator still reports the old version: not there yet.
    clusters = [bc('a', { pin: NEW, gen: 2 }), clusters[1], clusters[2]];
    rows = adv.rows;
    adv = pass(s, rows, clusters, 10);
    assert.equal(states(adv.rows), 'a:Upgrading b:Pending c:Pending');
    assert.match(adv.rows[0].message!, /^upgrading: running 1\.11\.3/);
    // Rendered and rolled out at the new version: soaking; the next wave waits for the soak.
    const a2 = bc('a', { pin: NEW, running: NEW });
    clusters = [a2, clusters[1], clusters[2]];
    adv = pass(s, adv.rows, clusters, 20);
    assert.equal(states(adv.rows), 'a:Soaking b:Pending c:Pending');
    adv = pass(s, adv.rows, clusters, 50);
    assert.equal(states(adv.rows), 'a:Soaking b:Pending c:Pending');
    adv = pass(s, adv.rows, clusters, 81);
    assert.equal(states(adv.rows), 'a:Succeeded b:Upgrading c:Upgrading');
    assert.equal(adv.rows[1].message, `spec.addons[coredns].version ${OLD} → ${NEW}`);
  });

  it('an addon that stops being ready during the soak fails the cluster; one whose workloads never roll out misses its deadline', () => {
    const s = spec({ waves: [{ name: 'all', clusters: '100%', maxConcurrency: 2, soak: '60s' }], maxFailures: 5 });
    const soaking: RolloutClusterStatus[] = ['a', 'b'].map((name) => ({
      namespace: 'ns',
      name,
      wave: 'all',
      state: 'Soaking',
      from: OLD,
      to: NEW,
      startedAt: at(0).toISOString(),
      readySince: at(10).toISOString(),
    }));
    soaking[1] = { ...soaking[1], state: 'Upgrading', readySince: undefined };
    const waiting = 'Deployment kube-system/coredns waits for 0 of 2 replicas available';
    const clusters = [
      bc('a', { pin: NEW, running: NEW, addonReady: false }),
      { ...bc('b', { pin: NEW, running: NEW, addonReady: false }) },
    ];
    clusters[1].status!.addons![0].message = waiting;
    const adv = pass(s, soaking, clusters, 601);
    assert.equal(states(adv.rows), 'a:Failed b:Failed');
    assert.match(adv.rows[0].message!, /^DegradedDuringSoak: addon coredns not reported ready/);
    assert.equal(adv.rows[1].message, `ProgressDeadlineExceeded: not Ready at ${NEW} within 600s (running ${NEW}; ${waiting})`);
  });

  it('already there: Succeeded without a change; the addon dropped from spec while in flight: Skipped, not failed', () => {
    const s = spec({ waves: [{ name: 'all', clusters: '100%', maxConcurrency: 3, soak: '0s' }] });
    const clusters = [bc('a', { pin: NEW, running: NEW }), bc('b')];
    const rows = planRows(s, [...facts(clusters).values()], undefined, false);
    const adv = pass(s, rows, clusters, 0);
    assert.equal(states(adv.rows), 'a:Succeeded b:Upgrading');
    assert.equal(adv.rows[0].message, `already Ready at ${NEW}`);
    const dropped = pass(s, adv.rows, [clusters[0], bc('b', { coredns: false })], 5);
    assert.equal(states(dropped.rows), 'a:Succeeded b:Skipped');
    assert.equal(dropped.rows[1].message, 'AddonRemoved: coredns left spec.addons');
    assert.deepEqual(dropped.inFlight, [], 'its spec is not touched again');
    assert.equal(dropped.failed, 0);
  });

  it('addon versions may go back: an older target is not refused as a downgrade', () => {
    const s = spec({ target: { addon: { name: 'coredns', version: '1.10.0' } } });
    const clusters = [bc('a')];
    const adv = advance({
      spec: s,
      target: '1.10.0',
      rows: planRows(s, [...facts(clusters).values()], undefined, false),
      facts: facts(clusters),
      now: at(0),
      paused: false,
    });
    assert.equal(states(adv.rows), 'a:Upgrading');
  });

  it('the Fleet view says which addon a cluster moves to, not a bare version that reads like Kubernetes', () => {
    const row: RolloutClusterStatus = { namespace: 'ns', name: 'a', wave: 'one', state: 'Upgrading', from: OLD, to: NEW };
    const r = { metadata: { name: 'coredns-to-1-12-1' }, spec: spec(), status: { phase: 'Progressing' as const, clusters: [row] } };
    assert.equal(movingTo(mentions(r as never).values())?.text, `→ coredns ${NEW}`);
  });

  it('includeMachines belongs to Kubernetes targets: refused with an addon target, at its field', () => {
    assert.deepEqual(
      rolloutSpecProblems(spec({ includeMachines: true })).map((p) => `${p.path.join('.')} ${p.code}`),
      ['spec.includeMachines rollout-include-machines'],
    );
    assert.deepEqual(rolloutSpecProblems(spec()), []);
  });

  it('kokpit rollout create --addon coredns=1.12.1: the spec, and a dry run listing targets and the clusters left out', () => {
    const flags = parseFlags(
      ['--addon', `coredns=${NEW}`, '--selector', 'env=prod', '--waves', '1,100%'],
      [
        { name: 'addon', value: true },
        { name: 'selector', value: true },
        { name: 'waves', value: true },
      ],
    );
    const s = specFromFlags(flags);
    assert.deepEqual(s.target, { addon: { name: 'coredns', version: NEW } });
    assert.deepEqual(rolloutSpecProblems(s), []);
    assert.throws(
      () =>
        specFromFlags(
          parseFlags(
            ['--addon', 'coredns', '--selector', 'env=prod'],
            [
              { name: 'addon', value: true },
              { name: 'selector', value: true },
            ],
          ),
        ),
      /NAME=VERSION/,
    );
    const lines = describePlan(s, [bc('b', { pin: OLD }), bc('a'), bc('x', { coredns: false })])
      .split('\n')
      .map((l) => l.split(/\s{2,}/).join(' | '));
    assert.deepEqual(lines, [
      'WAVE | CLUSTER | FROM | TO | NOW',
      `wave-1 | ns/a | ${OLD} | ${NEW} | Ready`,
      `wave-2 | ns/b | ${OLD} | ${NEW} | Ready`,
      'Not targets (no coredns in spec.addons): ns/x',
    ]);
  });
});
