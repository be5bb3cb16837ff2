// `kokpit render -f <file>`: print the meta-cluster objects each BusinessCluster/EtcdCluster in the file
// would produce, with no cluster (local prototyping of cluster specs). Secrets carry placeholders.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { catalogWith, renderDocument } from '../../local/render';
import { parseFlags, str, type Parsed } from '../args';
import { validateText } from '../../validation';
import { EXIT, UsageError, type CliIO, type Command } from '../command';

export function readManifests(file: string, cwd: string): { text: string; docs: Array<Record<string, unknown>> } {
  const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(path.resolve(cwd, file), 'utf8');
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown> | null).filter((d): d is Record<string, unknown> => !!d);
  return { text, docs };
}

/**
 * The manifests `-f FILE` names, read and validated as render, apply and diff need them: every error is printed
 * as `file:line:col: message`, and `errors` says how many there were (the caller decides its exit code).
 */
export function readValidManifests(p: Parsed, io: CliIO, what = 'manifests'): { file: string; text: string; docs: Array<Record<string, unknown>>; errors: number } {
  const file = str(p, 'filename');
  if (!file || p.positionals.length) throw new UsageError(`give the ${what} with -f FILE`);
  const { text, docs } = readManifests(file, io.cwd);
  const errors = validateText(text).filter((d) => d.severity === 'error');
  for (const d of errors) io.err(`${file}:${d.line}:${d.column}: ${d.message}`);
  return { file, text, docs, errors: errors.length };
}

/** `--catalog FILE|DIR`: the file, or every .yaml/.yml file of the directory (sorted), validated like `-f`. */
function readCatalogFiles(arg: string, io: CliIO): { docs: Array<Record<string, unknown>>; errors: number } {
  const at = path.resolve(io.cwd, arg);
  if (!fs.existsSync(at)) throw new UsageError(`--catalog ${arg}: no such file or directory`);
  const files = fs.statSync(at).isDirectory()
    ? fs.readdirSync(at).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(arg, f))
    : [arg];
  const docs: Array<Record<string, unknown>> = [];
  let errors = 0;
  for (const f of files) {
    const r = readValidManifests({ flags: { filename: f }, positionals: [] }, io, 'catalog');
    docs.push(...r.docs);
    errors += r.errors;
  }
  return { docs, errors };
}

export const renderCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [
      { name: 'filename', short: 'f', value: true },
      { name: 'output', short: 'o', value: true, oneOf: ['yaml', 'json'] },
      { name: 'catalog', value: true },
    ]);
    const { file, docs, errors } = readValidManifests(p, io, 'manifest');
    const extra = str(p, 'catalog') ? readCatalogFiles(str(p, 'catalog')!, io) : { docs: [], errors: 0 };
    if (errors || extra.errors) return EXIT.FAILED;
    // The file's own KubernetesVersion/Addon documents first, then --catalog's, then kokpit's default catalog.
    const catalog = catalogWith(docs, catalogWith(extra.docs));
    const targets = docs.filter((d) => d.kind === 'BusinessCluster' || d.kind === 'EtcdCluster');
    if (!targets.length) throw new Error(`${file} holds no BusinessCluster or EtcdCluster`);
    const all: unknown[] = [];
    const comments: string[] = [];
    for (const doc of targets) {
      const r = renderDocument(doc, catalog);
      const md = doc.metadata as { name?: string; namespace?: string } | undefined;
      comments.push(`# ${doc.kind} ${md?.namespace ?? 'default'}/${md?.name}: ${r.objects.length} objects`, ...r.notes.map((n) => `#   note: ${n}`));
      all.push(...r.objects);
    }
    if (str(p, 'output') === 'json') {
      io.out(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: all }, null, 2));
    } else {
      io.out([`# Rendered offline by kokpit render (no cluster). Secrets contain PLACEHOLDER data, not keys.`, ...comments, ...all.map((o) => `---\n${stringify(o).trimEnd()}`)].join('\n'));
    }
    return EXIT.OK;
  },
};
