// `kokpit rollout create|status|pause|resume|retry`: FleetRollouts from the command line. create builds the
// spec from flags, checks it with the validator's own rules and the meta cluster's catalog, and with --dry-run
// prints the wave plan the operator would write (the operator's pure assignment) instead of creating it.
// pause/resume set spec.paused and retry sets the kokpit.dev/retry annotation, by merge patch under the CLI's
// field manager (as `kokpit upgrade`), with the code the Fleet view's actions use (actions/rollout-actions.ts).
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { controlRollout } from '../../actions/rollout-actions';
import { API_VERSION, type Addon, type BusinessCluster, type FleetRollout, type FleetRolloutSpec, type KubernetesVersion } from '../../api';
import { createObject, describeKubeError, listObjects, makeObjectApi, readObject } from '../../kube';
import { assignWaves, clusterFacts, graceOf, matchesClusters, selects } from '../../operators/rollout/render/plan';
import { addonTargetProblem, lacksAddon, positionOf, targetWords } from '../../operators/rollout/render/target';
import { windowState } from '../../validation/rules/maintenance';
import { durationMs, rolloutSpecProblems } from '../../validation/rules/rollout';
import { checkCatalog } from '../../operators/cluster/versions';
import { META_FLAGS, metaCluster, parseFlags, str, type Parsed } from '../args';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { table } from './get';
import { UPGRADE_FIELD_MANAGER } from './upgrade';

type Rollout = FleetRollout & KubernetesObject;
const ref = (name: string) => ({ apiVersion: API_VERSION, kind: 'FleetRollout', metadata: { name } });

/** `env=prod,tier=web` as matchLabels. */
export function parseSelector(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').filter(Boolean)) {
    const m = /^([A-Za-z0-9./_-]+)=([A-Za-z0-9._-]*)$/.exec(part.trim());
    if (!m) throw new UsageError(`--selector takes key=value[,key=value…], got "${part}"`);
    out[m[1]] = m[2];
  }
  return out;
}

/** `--to VERSION` or `--addon NAME=VERSION`: exactly one. */
function targetFromFlags(p: Parsed): FleetRolloutSpec['target'] {
  const to = str(p, 'to');
  const addon = str(p, 'addon');
  if (!to === !addon) throw new UsageError('give the target with either --to VERSION or --addon NAME=VERSION (e.g. coredns=1.12.1)');
  if (to) return { kubernetesVersion: to };
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=(\S+)$/.exec(addon!);
  if (!m) throw new UsageError(`--addon takes NAME=VERSION, e.g. coredns=1.12.1; got "${addon}"`);
  return { addon: { name: m[1], version: m[3] } };
}

/** A duration flag's value (its default when not given), refused here with the flag's name rather than later by the API server. */
function durationFlag(p: Parsed, name: 'soak' | 'deadline', fallback: string): string {
  const v = str(p, name) ?? fallback;
  if (durationMs(v) === undefined) throw new UsageError(`--${name} takes a duration such as 10m, 90s or 1h30m, got "${v}"`);
  return v;
}

/** The spec `create` makes from its flags: `--waves 1,25%,100%` are cumulative sizes, named wave-1, wave-2, … */
export function specFromFlags(p: Parsed): FleetRolloutSpec {
  const target = targetFromFlags(p);
  const selector = str(p, 'selector');
  if (!selector) throw new UsageError('give the clusters with --selector key=value (an empty selector is refused)');
  const soak = durationFlag(p, 'soak', '0s');
  const maxConcurrency = Number(str(p, 'max-concurrency') ?? '1');
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)
    throw new UsageError(`--max-concurrency must be a whole number of at least 1, got "${str(p, 'max-concurrency')}"`);
  const size = (w: string): number | string => (/^\d+$/.test(w) ? Number(w) : w);
  const waves = (str(p, 'waves') ?? '100%')
    .split(',')
    .map((w, i) => ({ name: `wave-${i + 1}`, clusters: size(w.trim()), maxConcurrency, soak }));
  const namespace = str(p, 'namespace');
  const grace = str(p, 'not-ready-grace');
  if (grace !== undefined && durationMs(grace) === undefined)
    throw new UsageError(`--not-ready-grace takes a duration such as 2m, 90s or 0s (skip at once), got "${grace}"`);
  const deadline = durationFlag(p, 'deadline', '30m');
  return {
    target,
    clusters: { selector: { matchLabels: parseSelector(selector) }, ...(namespace ? { namespaces: [namespace] } : {}) },
    waves,
    maxFailures: size(str(p, 'max-failures') ?? '0'),
    progressDeadline: deadline,
    paused: false,
    ...(grace !== undefined ? { notReadyGrace: grace } : {}),
    ...(p.flags['ignore-windows'] === true ? { ignoreWindows: true } : {}),
    ...(p.flags['include-machines'] === true ? { includeMachines: true } : {}),
  };
}

/** When a cluster's maintenance windows let the rollout start it, as of `now`. */
function windowWords(f: ReturnType<typeof clusterFacts>, spec: FleetRolloutSpec, now: Date): string {
  if (!f.windows) return 'any time';
  if (spec.ignoreWindows) return 'any time (--ignore-windows)';
  const w = windowState(f.windows, now);
  if (w.open) return `open until ${w.closesAt.toISOString()}`;
  if ('invalid' in w) return `invalid: ${w.invalid}`;
  return w.nextStart ? `next ${w.nextStart.toISOString()}` : 'never opens';
}

/** The wave plan as a table: one line per cluster, in wave order (with a WINDOW column when any has windows). */
export function describePlan(spec: FleetRolloutSpec, clusters: BusinessCluster[], now = new Date()): string {
  const all = clusters.map(clusterFacts);
  const selected = all.filter((f) => selects(spec, f));
  const without = all.filter((f) => matchesClusters(spec, f) && lacksAddon(spec, f)).map((f) => `${f.namespace}/${f.name}`);
  // An addon rollout moves pins only: matching clusters without the addon are not targets (named, not hidden).
  const note = without.length ? `\nNot targets (no ${spec.target.addon?.name} in spec.addons): ${without.join(', ')}` : '';
  if (!selected.length)
    return `No BusinessCluster matches the selector${spec.target.addon ? ` and has ${spec.target.addon.name}` : ''}.${note}`;
  const windows = selected.some((f) => f.windows);
  const rows = assignWaves(spec, selected).map((a) => {
    const f = selected.find((c) => c.namespace === a.namespace && c.name === a.name)!;
    const pos = positionOf(f, spec);
    return [
      a.wave,
      `${a.namespace}/${a.name}`,
      pos?.running ?? `(${pos?.desired ?? 'default'})`,
      spec.target.kubernetesVersion ?? spec.target.addon!.version,
      f.ready ? 'Ready' : (f.notReady ?? 'not Ready'),
      ...(windows ? [windowWords(f, spec, now)] : []),
    ];
  });
  return table(['WAVE', 'CLUSTER', 'FROM', 'TO', 'NOW', ...(windows ? ['WINDOW'] : [])], rows) + note;
}

/** Why the meta cluster's catalog cannot serve the target (the operator's own checks), or undefined. */
async function catalogProblem(spec: FleetRolloutSpec, kc: KubeConfig): Promise<string | undefined> {
  const objects = makeObjectApi(kc);
  const addon = spec.target.addon;
  if (addon) {
    const problem = addonTargetProblem(addon, await listObjects<Addon & KubernetesObject>(objects, API_VERSION, 'Addon'));
    return problem && `--addon: ${problem.message}`;
  }
  const versions = await listObjects<KubernetesVersion & KubernetesObject>(objects, API_VERSION, 'KubernetesVersion');
  const verdict = checkCatalog(spec.target.kubernetesVersion!, versions);
  return verdict.ok ? undefined : `--to: ${verdict.message}`;
}

/** `to-v1-33-13`, or `coredns-to-1-12-1` for an addon. */
function defaultName(spec: FleetRolloutSpec): string {
  const a = spec.target.addon;
  const dashed = (v: string) => v.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return a ? `${a.name}-to-${dashed(a.version)}` : `to-${dashed(spec.target.kubernetesVersion!)}`;
}

async function create(p: Parsed, spec: FleetRolloutSpec, kc: KubeConfig, io: CliIO): Promise<number> {
  const name = p.positionals[1] ?? defaultName(spec);
  const objects = makeObjectApi(kc);
  const problem = await catalogProblem(spec, kc);
  if (problem) {
    io.err(`kokpit rollout: ${problem}`);
    return EXIT.FAILED;
  }
  const clusters = await listObjects<BusinessCluster & KubernetesObject>(objects, API_VERSION, 'BusinessCluster');
  if (p.flags['dry-run'] === true) {
    io.out(
      `FleetRollout ${name} → ${targetWords(spec)} (dry run, nothing created): ` +
        `${spec.waves.map((w) => `${w.name} up to ${w.clusters}`).join(', ')}; ` +
        `soak ${spec.waves[0].soak}; max failures ${spec.maxFailures}; not-Ready grace ${graceOf(spec).text}`,
    );
    io.out(describePlan(spec, clusters));
    return EXIT.OK;
  }
  await createObject(objects, { ...ref(name), spec } as KubernetesObject, { fieldManager: UPGRADE_FIELD_MANAGER });
  io.out(`FleetRollout ${name} created; follow it with \`kokpit rollout status ${name}\``);
  return EXIT.OK;
}

/** Status as text: the phase and conditions, then one line per cluster. */
export function describeRollout(r: Rollout): string {
  const st = r.status ?? {};
  const target = targetWords(r.spec);
  const head =
    `FleetRollout ${r.metadata?.name} → ${target}: ${st.phase ?? 'Pending'}` +
    `${st.currentWave ? `, wave ${st.currentWave}` : ''}${r.spec.paused ? ' (paused)' : ''}`;
  const conds = (st.conditions ?? []).map((c) => `  ${c.type}=${c.status} ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`);
  const fail = st.lastFailure ? [`  last failure: ${st.lastFailure.cluster}: ${st.lastFailure.message ?? st.lastFailure.reason}`] : [];
  const rows = (st.clusters ?? []).map((c) => [
    c.wave,
    `${c.namespace}/${c.name}`,
    c.state,
    c.from ?? '-',
    c.to ?? '-',
    c.startedAt ?? '-',
    c.finishedAt ?? '-',
    c.message ?? '',
  ]);
  const body = rows.length
    ? table(['WAVE', 'CLUSTER', 'STATE', 'FROM', 'TO', 'STARTED', 'FINISHED', 'MESSAGE'], rows)
    : 'No clusters assigned yet.';
  return [head, ...conds, ...fail, body].join('\n');
}

async function status(name: string, kc: KubeConfig, io: CliIO, watch: boolean): Promise<number> {
  const objects = makeObjectApi(kc);
  let last = '';
  for (;;) {
    const r = await readObject<Rollout>(objects, ref(name));
    if (!r) {
      io.err(`kokpit rollout: no FleetRollout ${name}`);
      return EXIT.FAILED;
    }
    const text = describeRollout(r);
    if (text !== last) io.out(watch ? `\n${new Date().toISOString()}\n${text}` : text);
    last = text;
    if (!watch || r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed') return EXIT.OK;
    await new Promise((res) => setTimeout(res, 2000));
  }
}

const FLAGS = [
  ...META_FLAGS,
  { name: 'to', value: true },
  { name: 'addon', value: true },
  { name: 'include-machines' },
  { name: 'selector', value: true },
  { name: 'namespace', short: 'n', value: true },
  { name: 'waves', value: true },
  { name: 'soak', value: true },
  { name: 'max-failures', value: true },
  { name: 'max-concurrency', value: true },
  { name: 'deadline', value: true },
  { name: 'not-ready-grace', value: true },
  { name: 'dry-run' },
  { name: 'ignore-windows' },
  { name: 'watch', short: 'w' },
];

export const rolloutCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, FLAGS);
    const [verb, name] = p.positionals;
    if (!verb) throw new UsageError('give a subcommand: create, status, pause, resume or retry');
    if (verb !== 'create' && !name) throw new UsageError(`kokpit rollout ${verb} needs the rollout's name`);
    // The spec is checked before the meta cluster is looked for: a bad flag is a usage error either way.
    const spec = verb === 'create' ? specFromFlags(p) : undefined;
    const problems = spec ? rolloutSpecProblems(spec) : [];
    if (problems.length) throw new UsageError(problems.map((x) => x.message).join('\n'));
    const { kc, source } = metaCluster(p);
    try {
      switch (verb) {
        case 'create':
          return await create(p, spec!, kc, io);
        case 'status':
          return await status(name, kc, io, p.flags.watch === true);
        case 'pause':
        case 'resume':
        case 'retry':
          // The same patch as the Fleet view's actions (src/actions/rollout-actions.ts), under the CLI's field manager.
          io.out(await controlRollout(kc, name, verb, UPGRADE_FIELD_MANAGER));
          return EXIT.OK;
        default:
          throw new UsageError(`unknown subcommand "${verb}": create, status, pause, resume or retry`);
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      io.err(`kokpit rollout ${verb}: ${describeKubeError(e)} (meta cluster: ${source})`);
      return EXIT.FAILED;
    }
  },
};
