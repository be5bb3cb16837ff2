// `kokpit rollout`: the spec its flags make (checked by the validator's own rules), the dry-run wave plan and
// the status text.
import * as assert from 'node:assert/strict';
import type { BusinessCluster, FleetRollout } from '../../../src/api';
import { parseFlags } from '../../../src/cli/args';
import { UsageError } from '../../../src/cli/command';
import { describePlan, describeRollout, parseSelector, specFromFlags } from '../../../src/cli/commands/rollout';
import { rolloutSpecProblems } from '../../../src/validation/rules/rollout';

const flags = (argv: string[]) =>
  parseFlags(
    argv,
    ['to', 'selector', 'namespace', 'waves', 'soak', 'max-failures', 'max-concurrency', 'deadline', 'not-ready-grace'].map((name) => ({
      name,
      value: true,
    })),
  );

const bc = (name: string, labels: Record<string, string>, version = 'v1.32.0', ready = true): BusinessCluster => ({
  apiVersion: 'kokpit.dev/v1alpha1',
  kind: 'BusinessCluster',
  metadata: { name, namespace: 'prod', labels, generation: 1 },
  spec: { version, etcd: { managed: { replicas: 1 } } },
  status: {
    version,
    observedGeneration: 1,
    conditions: [
      { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'ClusterReady' : 'APIServerUnreachable', observedGeneration: 1 },
    ],
  },
});

describe('kokpit rollout', () => {
  it('create: --waves 1,25%,100% are cumulative sizes; counts stay numbers, percents strings; the spec passes the validator', () => {
    const spec = specFromFlags(
      flags(
        [
          '--to',
          'v1.33.13',
          '--selector',
          'env=prod,tier=web',
          '--waves',
          '1,25%,100%',
          '--soak',
          '10m',
          '--max-failures',
          '10%',
          '-n',
          'prod',
        ].map((a) => (a === '-n' ? '--namespace' : a)),
      ),
    );
    assert.deepEqual(
      spec.waves.map((w) => [w.name, w.clusters, w.soak, w.maxConcurrency]),
      [
        ['wave-1', 1, '10m', 1],
        ['wave-2', '25%', '10m', 1],
        ['wave-3', '100%', '10m', 1],
      ],
    );
    assert.deepEqual(spec.clusters, { selector: { matchLabels: { env: 'prod', tier: 'web' } }, namespaces: ['prod'] });
    assert.equal(spec.maxFailures, '10%');
    assert.equal(spec.progressDeadline, '30m');
    assert.deepEqual(rolloutSpecProblems(spec), []);
  });

  it('create refuses what cannot work: no target, no selector, a bad selector, waves short of 100%', () => {
    assert.throws(() => specFromFlags(flags(['--selector', 'env=prod'])), UsageError);
    assert.throws(() => specFromFlags(flags(['--to', 'v1.33.13'])), /empty selector is refused/);
    assert.throws(() => parseSelector('env'), /key=value/);
    const short = specFromFlags(flags(['--to', 'v1.33.13', '--selector', 'env=prod', '--waves', '1,50%']));
    assert.deepEqual(
      rolloutSpecProblems(short).map((p) => p.code),
      ['rollout-waves-total'],
    );
  });

  it('--not-ready-grace sets spec.notReadyGrace (unset: the CRD default 2m applies); a value that is no duration is refused', () => {
    const base = ['--to', 'v1.33.13', '--selector', 'env=prod'];
    assert.equal(specFromFlags(flags(base)).notReadyGrace, undefined);
    for (const grace of ['5m', '90s', '0s', '1h30m']) {
      const spec = specFromFlags(flags([...base, '--not-ready-grace', grace]));
      assert.equal(spec.notReadyGrace, grace);
      assert.deepEqual(rolloutSpecProblems(spec), []);
    }
    assert.throws(() => specFromFlags(flags([...base, '--not-ready-grace', '2 minutes'])), /--not-ready-grace takes a duration/);
    assert.throws(() => specFromFlags(flags([...base, '--not-ready-grace', '-1m'])), UsageError);
    // --soak and --deadline are checked the same way, naming the flag (the API server's pattern would name only the field).
    assert.throws(() => specFromFlags(flags([...base, '--soak', '10 minutes'])), /--soak takes a duration/);
    assert.throws(() => specFromFlags(flags([...base, '--deadline', 'soon'])), /--deadline takes a duration/);
    assert.equal(specFromFlags(flags([...base, '--soak', '1h30m', '--deadline', '90s'])).progressDeadline, '90s');
  });

  it('--dry-run prints the plan the operator would record: selected clusters only, in wave order', () => {
    const spec = specFromFlags(flags(['--to', 'v1.33.13', '--selector', 'env=prod', '--waves', '1,2,100%']));
    const text = describePlan(spec, [
      bc('c', { env: 'prod' }),
      bc('a', { env: 'prod' }),
      bc('x', { env: 'dev' }),
      bc('b', { env: 'prod' }, 'v1.32.0', false),
    ]);
    const lines = text.split('\n').map((l) => l.split(/\s{2,}/).join(' | '));
    assert.deepEqual(lines, [
      'WAVE | CLUSTER | FROM | TO | NOW',
      'wave-1 | prod/a | v1.32.0 | v1.33.13 | Ready',
      'wave-2 | prod/b | v1.32.0 | v1.33.13 | APIServerUnreachable',
      'wave-3 | prod/c | v1.32.0 | v1.33.13 | Ready',
    ]);
  });

  it("--dry-run shows when each cluster's maintenance window lets it start; --ignore-windows says it does not wait", () => {
    const withWindow = (name: string, windows: unknown[]): BusinessCluster => {
      const c = bc(name, { env: 'prod' });
      return { ...c, spec: { ...c.spec, maintenance: { windows } } } as BusinessCluster;
    };
    const clusters = [
      withWindow('a', [{ start: '22:00', duration: '2h', timeZone: 'UTC' }]),
      withWindow('b', [{ schedule: '0 25 * * *', duration: '1h', timeZone: 'UTC' }]),
      bc('c', { env: 'prod' }),
    ];
    const now = new Date('2026-01-06T12:00:00Z');
    const plan = (argv: string[]) =>
      describePlan(
        specFromFlags(
          parseFlags(
            ['--to', 'v1.33.13', '--selector', 'env=prod', ...argv],
            [{ name: 'to', value: true }, { name: 'selector', value: true }, { name: 'ignore-windows' }],
          ),
        ),
        clusters,
        now,
      )
        .split('\n')
        .map((l) => l.split(/\s{2,}/).join(' | '));
    assert.deepEqual(plan([]), [
      'WAVE | CLUSTER | FROM | TO | NOW | WINDOW',
      'wave-1 | prod/a | v1.32.0 | v1.33.13 | Ready | next 2026-01-06T22:00:00.000Z',
      'wave-1 | prod/b | v1.32.0 | v1.33.13 | Ready | invalid: spec.maintenance.windows[0].schedule "0 25 * * *" is not a cron schedule: ' +
        'Invalid value for hour: 25',
      'wave-1 | prod/c | v1.32.0 | v1.33.13 | Ready | any time',
    ]);
    assert.equal(plan(['--ignore-windows'])[1], 'wave-1 | prod/a | v1.32.0 | v1.33.13 | Ready | any time (--ignore-windows)');
  });

  it('status shows the phase, conditions, the last failure and one line per cluster', () => {
    const r: FleetRollout = {
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'FleetRollout',
      metadata: { name: 'to-133' },
      spec: {
        target: { kubernetesVersion: 'v1.33.13' },
        clusters: { selector: { matchLabels: { env: 'prod' } } },
        waves: [{ name: 'all', clusters: '100%', maxConcurrency: 1, soak: '0s' }],
        maxFailures: 0,
        progressDeadline: '30m',
        paused: false,
      },
      status: {
        phase: 'Failed',
        lastFailure: { cluster: 'prod/a', reason: 'ProgressDeadlineExceeded', message: 'ProgressDeadlineExceeded: not Ready' },
        conditions: [{ type: 'Progressing', status: 'False', reason: 'FailureBudgetExceeded', message: '1 failed, 0 tolerated' }],
        clusters: [
          {
            namespace: 'prod',
            name: 'a',
            wave: 'all',
            state: 'Failed',
            from: 'v1.32.0',
            to: 'v1.33.13',
            message: 'ProgressDeadlineExceeded: not Ready',
          },
        ],
      },
    };
    const text = describeRollout(r as never);
    assert.match(text, /^FleetRollout to-133 → v1\.33\.13: Failed\n/);
    assert.match(text, /Progressing=False FailureBudgetExceeded: 1 failed, 0 tolerated/);
    assert.match(text, /last failure: prod\/a: ProgressDeadlineExceeded: not Ready/);
    assert.match(text, /all\s+prod\/a\s+Failed\s+v1\.32\.0\s+v1\.33\.13/);
  });
});
