// `kokpit status`: the meta cluster, the manager (leader Lease), and a table of business clusters with
// phase, version, endpoint, etcd health and machines. Exit 1 when the meta cluster is unreachable, or when the local
// environment's process is gone (then with the last lines of its log).
import { CoreV1Api, VersionApi, type KubeConfig } from '@kubernetes/client-node';
import { describeManagerLease, readManagerLease } from '../../fleet/manager-lease';
import { briefError } from '../../controller/reconciler';
import { CONDITION_TYPES } from '../../operators/cluster/conditions';
import { LABELS } from '../../operators/multicluster/names';
import { environmentName, META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { DEFAULT_ENV_NAME, readEnvironment, type EnvironmentState } from '../../local/state';
import { isAlive } from '../../controlplane';
import { tailFile } from '../../binaries/processes';
import { EXIT, UsageError, type Command } from '../command';
import { age, listResource, table } from './get';

type Obj = Awaited<ReturnType<typeof listResource>>[number];

/** "2/2 healthy" style summary of the EtcdCluster a business cluster uses. */
export function etcdHealth(bc: Obj, etcds: Obj[]): string {
  const ns = bc.metadata?.namespace;
  const name = bc.spec?.etcd?.managed ? `${bc.metadata?.name}-etcd` : bc.spec?.etcd?.clusterRef?.name;
  const e = etcds.find((x) => x.metadata?.namespace === ns && x.metadata?.name === name);
  if (!e) return name ? `${name}: missing` : '-';
  const available =
    (e.status?.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Available')?.status === 'True';
  return `${e.status?.readyMembers ?? 0}/${e.spec?.replicas ?? '?'} ${available ? 'healthy' : (e.status?.phase ?? 'pending')}`;
}

export function machinesOf(bc: Obj, machines: Obj[] | undefined): string {
  if (!machines) return 'n/a';
  const mine = machines.filter((m) => m.metadata?.namespace === bc.metadata?.namespace && m.spec?.clusterRef?.name === bc.metadata?.name);
  if (!mine.length) return '0';
  return `${mine.filter((m) => m.status?.phase === 'Running').length}/${mine.length} running`;
}

async function managerLine(kc: KubeConfig): Promise<string> {
  return describeManagerLease(await readManagerLease(kc));
}

/** The local environment's lines; when its process is gone, with the last lines of its log. */
function environmentLines(name: string, env: EnvironmentState): { lines: string[]; alive: boolean } {
  const alive = isAlive(env.pid);
  const runtime = env.runtime ?? 'sandbox';
  const down = `kokpit down${name === DEFAULT_ENV_NAME ? '' : ` --name ${name}`}`;
  const state = alive ? `running, pid ${env.pid}` : `NOT RUNNING (pid ${env.pid} is gone; \`${down}\` cleans up)`;
  const lines = [`Local environment "${name}" (runtime: ${runtime}): ${state}`];
  if (runtime === 'kind')
    lines.push(
      `  kind cluster  ${env.kind?.cluster ?? name} (node ${env.runnerNode}, image ${env.kind?.nodeImage ?? '?'}); ` +
        `business API ports 127.0.0.1:${env.kind?.ports.map((p) => p.hostPort).join(',') ?? '-'}`,
    );
  else
    lines.push(
      `  meta node  ${env.runnerNode} (${env.runnerHostIP}; pod network ${env.podNetwork ?? 'loopback'}); ` +
        `control plane: ${env.components.map((c) => `${c.name}${isAlive(c.pid) ? '' : ' (DOWN)'}`).join(', ')}`,
    );
  // Why it went is in its own log (its stderr: steps, warnings, the error it died of; never a key or token).
  if (!alive && env.logFile) {
    lines.push(`  last lines of ${env.logFile}:`);
    lines.push(
      ...tailFile(env.logFile, 10)
        .split('\n')
        .map((l) => `    ${l}`),
    );
  }
  return { lines, alive };
}

export const statusCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, META_FLAGS);
    if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
    const name = environmentName(p);
    const env = str(p, 'kubeconfig') ? undefined : readEnvironment(name);
    const lines: string[] = [];
    if (env) {
      const local = environmentLines(name, env);
      lines.push(...local.lines);
      if (!local.alive) {
        io.out(lines.join('\n'));
        return EXIT.FAILED;
      }
    }
    let meta;
    try {
      meta = metaCluster(p);
    } catch (e) {
      io.err(`kokpit status: no meta cluster: ${briefError(e)} (start one with \`kokpit up\`, or pass --kubeconfig)`);
      return EXIT.FAILED;
    }
    const { kc, source } = meta;
    const server = kc.getCurrentCluster()?.server;
    try {
      const v = await kc.makeApiClient(VersionApi).getCode();
      const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items.length;
      lines.push(`Meta cluster: ${server} (Kubernetes ${v.gitVersion}, ${nodes} node${nodes === 1 ? '' : 's'}; kubeconfig from ${source})`);
    } catch (e) {
      lines.push(`Meta cluster: ${server} UNREACHABLE (${briefError(e)}; kubeconfig from ${source})`);
      io.out(lines.join('\n'));
      return EXIT.FAILED;
    }
    lines.push(`Manager: ${await managerLine(kc)}`);
    const [clusters, etcds, machines, managed] = await Promise.all([
      listResource(kc, 'clusters'),
      listResource(kc, 'etcd'),
      listResource(kc, 'machines').catch(() => undefined),
      listResource(kc, 'managedclusters').catch(() => undefined), // OCM's hub not installed: no JOINED/AVAILABLE columns
    ]);
    if (!clusters.length) lines.push('Business clusters: none (`kokpit up --with-sample` creates one)');
    else {
      lines.push('Business clusters:');
      const rows = clusters.map((bc) => [
        bc.metadata?.namespace ?? '',
        bc.metadata?.name ?? '',
        bc.status?.phase ?? '-',
        bc.status?.version ?? `(${bc.spec?.version ?? '?'})`,
        bc.status?.endpoint ?? '-',
        etcdHealth(bc, etcds),
        machinesOf(bc, machines),
        ...(managed ? registrationOf(bc, managed).columns : []),
        age(bc),
      ]);
      const ocm = managed ? ['JOINED', 'AVAILABLE'] : [];
      lines.push(
        table(['NAMESPACE', 'NAME', 'PHASE', 'VERSION', 'ENDPOINT', 'ETCD', 'MACHINES', ...ocm, 'AGE'], rows).replace(/^/gm, '  '),
      );
      // Why each cluster that is not Ready (or not Available on the OCM hub) is not, in the reconciler's and OCM's words.
      for (const bc of clusters) {
        for (const why of [notReadyReason(bc.status?.conditions), managed && registrationOf(bc, managed).problem])
          if (why) lines.push(`  ${bc.metadata?.namespace}/${bc.metadata?.name}: ${why}`);
      }
    }
    io.out(lines.join('\n'));
    return EXIT.OK;
  },
};

type ConditionLike = { type: string; status: string; reason?: string; message?: string };

/** `ControlPlaneReady False ErrImagePull: pod … ` for the first False condition in reconcile order; undefined when Ready. */
export function notReadyReason(conditions: ConditionLike[] | undefined): string | undefined {
  const cs = conditions ?? [];
  if (cs.find((c) => c.type === 'Ready')?.status === 'True') return undefined;
  const first = CONDITION_TYPES.filter((t) => t !== 'Ready')
    .map((t) => cs.find((c) => c.type === t))
    .find((c) => c && c.status !== 'True');
  if (!first) return cs.length ? undefined : 'no status yet (is the manager running?)';
  return `${first.type} ${first.status} ${first.reason ?? ''}${first.message ? `: ${first.message}` : ''}`.replace(/ +:/, ':');
}

const condOf = (o: Obj, type: string) => (o.status?.conditions as ConditionLike[] | undefined)?.find((c) => c.type === type);
const condText = (c: ConditionLike | undefined) => (!c ? '-' : c.status === 'True' || !c.reason ? c.status : `${c.status}(${c.reason})`);
const because = (c: ConditionLike) => `${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''}`;

/**
 * A business cluster's OCM registration as the hub reports it: JOINED and AVAILABLE from its ManagedCluster (found by
 * the labels kokpit puts on it), and, when it is not Joined and Available, why (OCM's reason and message, or the
 * multicluster operator's condition while there is no ManagedCluster yet).
 */
export function registrationOf(bc: Obj, managed: Obj[]): { columns: [string, string]; problem?: string } {
  const mine = (m: Obj) =>
    m.metadata?.labels?.[LABELS.namespace] === bc.metadata?.namespace && m.metadata?.labels?.[LABELS.cluster] === bc.metadata?.name;
  const mc = managed.find(mine);
  if (!mc) {
    if (bc.spec?.multicluster?.register === false) return { columns: ['not registered', '-'] };
    const c = condOf(bc, 'ManagedCluster');
    return { columns: ['-', '-'], problem: c && c.status !== 'True' ? `ManagedCluster ${because(c)}` : undefined };
  }
  const joined = condOf(mc, 'ManagedClusterJoined') ?? { type: 'ManagedClusterJoined', status: 'Unknown' };
  const available = condOf(mc, 'ManagedClusterConditionAvailable') ?? { type: 'ManagedClusterConditionAvailable', status: 'Unknown' };
  const [word, bad] = joined.status !== 'True' ? ['Joined', joined] : ['Available', available];
  return {
    columns: [condText(joined), condText(available)],
    problem: bad.status === 'True' ? undefined : `ManagedCluster ${mc.metadata?.name} ${word}=${because(bad)}`,
  };
}
