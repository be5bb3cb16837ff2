// `kokpit addons import <dir|file>… [--builtin] [--dry-run]` and `kokpit addons list`: Addon definitions
// in the meta cluster. Every file is checked with the editor's validator first; one bad document and
// nothing is imported. Then each Addon is server-side applied and reported as created, configured or
// unchanged (its resourceVersion before and after; under --dry-run, its content).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, type Addon } from '../../api';
import { defaultAddons } from '../../catalog';
import { applyObject, describeKubeError, makeObjectApi, readObject } from '../../kube';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { checkText, LineIndex } from '../../validation';
import { readManifestFile } from '../../validation/read-file';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { printable } from '../printable';
import { formatObjects, listResource } from './get';

export interface AddonSource {
  /** Where it came from, for messages: `file.yaml:12` or `builtin`. */
  origin: string;
  addon: Addon;
}

/** The YAML files a list of paths names: a directory stands for its *.yaml and *.yml files (not recursive), sorted. */
export function expandPaths(paths: string[], cwd: string): string[] {
  const files: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (!st) throw new Error(`${p}: no such file or directory`);
    if (st.isDirectory()) {
      const inDir = fs
        .readdirSync(abs)
        .filter((f) => /\.ya?ml$/i.test(f))
        .sort()
        .map((f) => path.join(p, f));
      if (!inDir.length) throw new Error(`${p}: no *.yaml or *.yml files in this directory`);
      files.push(...inDir);
    } else files.push(p);
  }
  return files;
}

/** Every Addon document of `text`, or the problems (file:line:column) that stop the import. */
export function parseAddonsFile(text: string, file: string): { addons: AddonSource[]; problems: string[] } {
  const problems: string[] = [];
  const { diagnostics, documents, starts } = checkText(text);
  for (const d of diagnostics) if (d.severity === 'error') problems.push(`${file}:${d.line}:${d.column}: ${d.message}`);
  const addons: AddonSource[] = [];
  const lines = new LineIndex(text);
  for (const [i, value] of documents.entries()) {
    // undefined: a document that does not parse (the validator reported it)
    const obj = value as Addon | null | undefined;
    if (!obj || typeof obj !== 'object') continue;
    const line = lines.position(starts[i]).line;
    if (obj.apiVersion !== API_VERSION || obj.kind !== 'Addon') {
      problems.push(
        `${file}:${line}: document ${i + 1} is ${obj.kind ? `a ${obj.kind}` : 'not a Kubernetes object'}; ` +
          `only ${API_VERSION} Addon documents can be imported (use \`kokpit apply -f\` for others)`,
      );
      continue;
    }
    addons.push({ origin: `${file}:${line}`, addon: obj });
  }
  return { addons, problems };
}

/** Two definitions of one addon in a single import is ambiguous: which one wins? */
export function duplicateProblems(sources: AddonSource[]): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const s of sources) {
    const name = s.addon.metadata?.name;
    const first = seen.get(name);
    if (first) out.push(`${s.origin}: Addon ${name} is already defined at ${first}`);
    else seen.set(name, s.origin);
  }
  return out;
}

export type ImportOutcome = 'created' | 'configured' | 'unchanged';

const contentOf = (o: KubernetesObject & { spec?: unknown }) =>
  JSON.stringify([o.spec, o.metadata?.labels ?? {}, o.metadata?.annotations ?? {}]);

/** Server-side applies one Addon and says what happened to it. */
export async function importAddon(objects: ReturnType<typeof makeObjectApi>, addon: Addon, dryRun: boolean): Promise<ImportOutcome> {
  const ref = { apiVersion: API_VERSION, kind: 'Addon', metadata: { name: addon.metadata.name } };
  const before = await readObject<KubernetesObject & { spec?: unknown }>(objects, ref);
  const body = {
    apiVersion: API_VERSION,
    kind: 'Addon',
    metadata: {
      name: addon.metadata.name,
      ...(addon.metadata.labels ? { labels: addon.metadata.labels } : {}),
      ...(addon.metadata.annotations ? { annotations: addon.metadata.annotations } : {}),
    },
    spec: addon.spec,
  };
  const after = await applyObject(objects, body as unknown as KubernetesObject & { spec?: unknown }, { dryRun });
  if (!before) return 'created';
  // A dry run keeps the stored resourceVersion: compare what the apply would store instead.
  if (dryRun) return contentOf(after) === contentOf(before) ? 'unchanged' : 'configured';
  return after.metadata?.resourceVersion === before.metadata?.resourceVersion ? 'unchanged' : 'configured';
}

async function runImport(argv: string[], io: CliIO): Promise<number> {
  const p = parseFlags(argv, [...META_FLAGS, { name: 'dry-run' }, { name: 'builtin' }]);
  const builtin = p.flags.builtin === true;
  if (!p.positionals.length && !builtin) throw new UsageError('give files or directories with Addon definitions, or --builtin');
  const sources: AddonSource[] = [];
  const problems: string[] = [];
  for (const file of expandPaths(p.positionals, io.cwd)) {
    let text: string;
    try {
      text = readManifestFile(path.resolve(io.cwd, file));
    } catch (e) {
      io.err(printable(`${file}: error: ${(e as Error).message}`));
      return EXIT.USAGE;
    }
    const r = parseAddonsFile(text, file);
    sources.push(...r.addons);
    problems.push(...r.problems);
  }
  if (builtin) sources.push(...defaultAddons().map((addon) => ({ origin: 'builtin', addon })));
  problems.push(...duplicateProblems(sources));
  if (!problems.length && !sources.length) problems.push('no Addon documents found');
  if (problems.length) {
    for (const m of problems) io.err(m);
    io.err(`kokpit addons import: ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing imported`);
    return EXIT.FAILED;
  }
  const dryRun = p.flags['dry-run'] === true;
  const objects = makeObjectApi(metaCluster(p).kc);
  let failed = 0;
  for (const s of sources) {
    try {
      const outcome = await importAddon(objects, s.addon, dryRun);
      io.out(`addon/${s.addon.metadata.name} ${outcome}${dryRun ? ' (server dry run)' : ''}`);
    } catch (e) {
      failed++;
      io.err(`addon/${s.addon.metadata.name} (${s.origin}): ${describeKubeError(e)}`);
    }
  }
  return failed ? EXIT.FAILED : EXIT.OK;
}

export const addonsCommand: Command = {
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'import') return runImport(rest, io);
    if (sub === 'list') {
      const p = parseFlags(rest, [...META_FLAGS, { name: 'output', short: 'o', value: true, oneOf: ['wide', 'yaml', 'json'] }]);
      if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
      io.out(formatObjects('addons', await listResource(metaCluster(p).kc, 'addons'), str(p, 'output')));
      return EXIT.OK;
    }
    throw new UsageError(sub ? `unknown subcommand "${sub}" (import or list)` : 'give a subcommand: import or list');
  },
};
