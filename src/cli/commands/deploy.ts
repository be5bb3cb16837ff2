// `kokpit deploy FILE --selector k=v`: the file's objects to every ManagedCluster the labels pick, as an Open Cluster
// Management ManifestWorkReplicaSet and Placement (src/actions/deploy-to-clusters.ts builds them, as the editor's
// "Deploy to Clusters…" does). Checked before anything is created: the file, OCM on the meta cluster, the namespace,
// and that the selector picks a cluster. --dry-run prints the objects and needs no cluster.
import { stringify } from 'yaml';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyDeployment, checkDeployment } from '../../actions/deploy-apply';
import { buildDeployment, DeployError, deployedMessage, parseLabelSelector, type Deployment } from '../../actions/deploy-to-clusters';
import { describeKubeError } from '../../kube';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { EXIT, UsageError, type Command } from '../command';

/** The field manager of `kokpit deploy` (and the editor's action), so its objects' fields are told apart. */
export const DEPLOY_FIELD_MANAGER = 'kokpit-deploy';

function build(argv: string[], cwd: string) {
  const p = parseFlags(argv, [
    ...META_FLAGS,
    { name: 'selector', short: 'l', value: true },
    { name: 'namespace', short: 'n', value: true },
    { name: 'work-name', value: true },
    { name: 'cluster-set', value: true },
    { name: 'dry-run' },
    { name: 'output', short: 'o', value: true, oneOf: ['yaml', 'json'] },
  ]);
  if (p.positionals.length !== 1) throw new UsageError('give one YAML file: kokpit deploy FILE --selector key=value');
  const selectorText = str(p, 'selector');
  if (!selectorText) throw new UsageError('give the clusters with --selector key=value[,key=value…]');
  if (str(p, 'output') && !p.flags['dry-run'])
    throw new UsageError(`-o ${str(p, 'output')} needs --dry-run (it prints what would be applied)`);
  let selector: Record<string, string>;
  try {
    selector = parseLabelSelector(selectorText);
  } catch (e) {
    throw new UsageError(`--selector: ${(e as Error).message}`);
  }
  const file = path.resolve(cwd, p.positionals[0]);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${p.positionals[0]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { p, selector, file: p.positionals[0], text };
}

export const deployCommand: Command = {
  async run(argv, io) {
    const { p, selector, file, text } = build(argv, io.cwd);
    let d: Deployment;
    try {
      d = buildDeployment({
        fileName: file,
        text,
        selector,
        namespace: str(p, 'namespace'),
        name: str(p, 'work-name'),
        clusterSet: str(p, 'cluster-set'),
      });
    } catch (e) {
      if (!(e instanceof DeployError)) throw e;
      io.err(`kokpit deploy: ${e.message}; nothing created`);
      return EXIT.FAILED;
    }
    if (p.flags['dry-run']) {
      if (str(p, 'output') === 'json') io.out(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: d.objects }, null, 2));
      else io.out(d.objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
      return EXIT.OK;
    }
    const { kc } = metaCluster(p);
    try {
      const verdict = await checkDeployment(kc, d, selector);
      if ('problem' in verdict) {
        io.err(`kokpit deploy: ${verdict.problem}`);
        return EXIT.FAILED;
      }
      for (const done of await applyDeployment(kc, d, DEPLOY_FIELD_MANAGER)) io.out(`${done} applied`);
      io.out(`${deployedMessage(d, file, verdict.clusters, selector)}; follow with \`kokpit get works\``);
      return EXIT.OK;
    } catch (e) {
      io.err(`kokpit deploy: ${describeKubeError(e)}`);
      return EXIT.FAILED;
    }
  },
};
