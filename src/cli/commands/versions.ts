// `kokpit versions list` and `kokpit versions add -f <file>`: the Kubernetes version catalog of a meta
// cluster. `add` checks each KubernetesVersion with the editor's validator before anything is applied, so
// a bad file changes nothing; then it server-side applies them (re-adding a version updates it).
import type { KubernetesObject } from '@kubernetes/client-node';
import { isAbsolute, resolve } from 'node:path';
import { API_VERSION, withDefaults, type KubernetesVersion } from '../../api';
import { applyObject, describeKubeError, listObjects, loadKubeConfig, makeObjectApi } from '../../kube';
import { compareVersions } from '../../operators/cluster/versions';
import { checkText } from '../../validation';
import { readManifestFile } from '../../validation/read-file';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { printable } from '../printable';

const API = API_VERSION;

interface Flags {
  sub: 'list' | 'add';
  files: string[];
  kubeconfig?: string;
  context?: string;
  output: 'table' | 'json';
}

function parseArgs(argv: string[]): Flags {
  const [sub, ...rest] = argv;
  if (sub !== 'list' && sub !== 'add')
    throw new UsageError(sub ? `unknown subcommand "${sub}" (list or add)` : 'give a subcommand: list or add');
  const flags: Flags = { sub, files: [], output: 'table' };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    if (name === '-f' || name === '--filename') flags.files.push(value());
    else if (name === '--kubeconfig') flags.kubeconfig = value();
    else if (name === '--context') flags.context = value();
    else if (name === '-o' || name === '--output') {
      const v = value();
      if (v !== 'table' && v !== 'json') throw new UsageError(`--output must be table or json, not "${v}"`);
      flags.output = v;
    } else throw new UsageError(`unknown argument ${arg}`);
  }
  if (sub === 'add' && flags.files.length === 0) throw new UsageError('add needs -f <file> (YAML with KubernetesVersion documents)');
  if (sub === 'list' && flags.files.length) throw new UsageError('list takes no -f');
  return flags;
}

/** KubernetesVersion documents of a file, or the problems that stop it from being applied. */
export function parseVersionsFile(text: string, file: string): { versions: KubernetesVersion[]; problems: string[] } {
  const problems: string[] = [];
  const { diagnostics, documents } = checkText(text);
  for (const d of diagnostics) if (d.severity === 'error') problems.push(`${file}:${d.line}:${d.column}: ${d.message}`);
  const versions: KubernetesVersion[] = [];
  for (const [i, value] of documents.entries()) {
    // undefined: a document that does not parse (reported by the validator)
    const obj = value as KubernetesVersion | null | undefined;
    if (!obj || typeof obj !== 'object') continue;
    if (obj.apiVersion !== API || obj.kind !== 'KubernetesVersion') {
      problems.push(`${file}: document ${i + 1} is ${obj.kind ?? 'not a kokpit object'}; only ${API} KubernetesVersion can be added`);
      continue;
    }
    if (obj.metadata?.name !== obj.spec?.version) {
      problems.push(`${file}: document ${i + 1}: metadata.name "${obj.metadata?.name}" must equal spec.version "${obj.spec?.version}"`);
      continue;
    }
    versions.push(withDefaults(obj));
  }
  if (!versions.length && !problems.length) problems.push(`${file}: no KubernetesVersion documents`);
  return { versions, problems };
}

export const versionsCommand: Command = {
  async run(argv: string[], io: CliIO): Promise<number> {
    const flags = parseArgs(argv);
    if (flags.sub === 'add') {
      const all: KubernetesVersion[] = [];
      const problems: string[] = [];
      for (const f of flags.files) {
        const abs = isAbsolute(f) ? f : resolve(io.cwd, f);
        let text: string;
        try {
          text = readManifestFile(abs);
        } catch (e) {
          io.err(printable(`${f}: error: ${(e as Error).message}`));
          return EXIT.USAGE;
        }
        const parsed = parseVersionsFile(text, f);
        all.push(...parsed.versions);
        problems.push(...parsed.problems);
      }
      if (problems.length) {
        for (const p of problems) io.err(p);
        io.err('nothing was applied');
        return EXIT.FAILED;
      }
      const objects = makeObjectApi(loadKubeConfig({ kubeconfigPath: flags.kubeconfig, context: flags.context }));
      for (const v of all) {
        try {
          await applyObject(objects, v as unknown as KubernetesObject);
        } catch (e) {
          io.err(`kubernetesversion/${v.metadata.name}: ${describeKubeError(e)}`);
          return EXIT.FAILED;
        }
        io.out(`kubernetesversion/${v.metadata.name} applied (${v.spec.state ?? 'Supported'})`);
      }
      return EXIT.OK;
    }
    const kc = loadKubeConfig({ kubeconfigPath: flags.kubeconfig, context: flags.context });
    const items = (await listObjects<KubernetesVersion & KubernetesObject>(makeObjectApi(kc), API, 'KubernetesVersion')).sort((a, b) =>
      compareVersions(a.spec.version, b.spec.version),
    );
    if (flags.output === 'json') {
      io.out(
        JSON.stringify(
          items.map((v) => ({ version: v.spec.version, state: v.spec.state ?? 'Supported', etcd: v.spec.etcd })),
          null,
          2,
        ),
      );
      return EXIT.OK;
    }
    const rows = [
      ['VERSION', 'STATE', 'ETCD (MIN / RECOMMENDED)'],
      ...items.map((v) => [v.spec.version, v.spec.state ?? 'Supported', `${v.spec.etcd.minVersion} / ${v.spec.etcd.recommendedVersion}`]),
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) io.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   '));
    if (!items.length) io.err('no versions in the catalog (add one with `kokpit versions add -f <file>`)');
    return EXIT.OK;
  },
};
