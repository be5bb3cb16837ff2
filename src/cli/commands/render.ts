// `kokpit render -f <file>`: print the meta-cluster objects each BusinessCluster/EtcdCluster in the file
// would produce, with no cluster (local prototyping of cluster specs). Secrets carry placeholders.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { catalogWith, renderDocument } from '../../local/render';
import { parseFlags, str, type Parsed } from '../args';
import { checkText } from '../../validation';
import { ioErrorText, readManifestFile } from '../../validation/read-file';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { printable } from '../printable';

export interface ManifestsRead {
  file: string;
  text: string;
  /** The documents that are objects, as validated (aliases and merge keys resolved). */
  docs: Array<Record<string, unknown>>;
  /** Errors printed: validation errors, or 1 when the file could not be read. */
  errors: number;
  /** The file could not be read (exit 2, not 1: nothing was validated). */
  unreadable: boolean;
}

/**
 * The manifests `-f FILE` names, read and validated as render, apply and diff need them: every error is printed
 * as `file:line:col: message`, and `errors` says how many there were (the caller decides its exit code). The
 * documents are the validator's own values, so what is applied is exactly what was checked.
 */
export function readValidManifests(p: Parsed, io: CliIO, what = 'manifests'): ManifestsRead {
  const file = str(p, 'filename');
  if (!file || p.positionals.length) throw new UsageError(`give the ${what} with -f FILE`);
  let text: string;
  try {
    text = readManifestFile(file === '-' ? file : path.resolve(io.cwd, file));
  } catch (e) {
    io.err(printable(`${file}: error: ${e instanceof Error ? e.message : String(e)}`));
    return { file, text: '', docs: [], errors: 1, unreadable: true };
  }
  const { diagnostics, documents } = checkText(text);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) io.err(printable(`${file}:${d.line}:${d.column}: ${d.message}`));
  const docs = documents.filter((d): d is Record<string, unknown> => !!d && typeof d === 'object' && !Array.isArray(d));
  return { file, text, docs, errors: errors.length, unreadable: false };
}

/** `--catalog FILE|DIR`: the file, or every .yaml/.yml file of the directory (sorted), validated like `-f`. */
function readCatalogFiles(arg: string, io: CliIO): { docs: Array<Record<string, unknown>>; errors: number; unreadable: boolean } {
  const at = path.resolve(io.cwd, arg);
  if (!fs.existsSync(at)) throw new UsageError(`--catalog ${arg}: no such file or directory`);
  let files: string[];
  try {
    files = fs.statSync(at).isDirectory()
      ? fs
          .readdirSync(at)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => path.join(arg, f))
      : [arg];
  } catch (e) {
    io.err(printable(`${arg}: error: ${ioErrorText(e)}`));
    return { docs: [], errors: 1, unreadable: true };
  }
  const docs: Array<Record<string, unknown>> = [];
  let errors = 0;
  let unreadable = false;
  for (const f of files) {
    const r = readValidManifests({ flags: { filename: f }, positionals: [] }, io, 'catalog');
    docs.push(...r.docs);
    errors += r.errors;
    unreadable ||= r.unreadable;
  }
  return { docs, errors, unreadable };
}

export const renderCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [
      { name: 'filename', short: 'f', value: true },
      { name: 'output', short: 'o', value: true, oneOf: ['yaml', 'json'] },
      { name: 'catalog', value: true },
    ]);
    const { file, docs, errors, unreadable } = readValidManifests(p, io, 'manifest');
    const extra = str(p, 'catalog') ? readCatalogFiles(str(p, 'catalog')!, io) : { docs: [], errors: 0, unreadable: false };
    if (unreadable || extra.unreadable) return EXIT.USAGE;
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
      comments.push(
        `# ${doc.kind} ${md?.namespace ?? 'default'}/${md?.name}: ${r.objects.length} objects`,
        ...r.notes.map((n) => `#   note: ${n}`),
      );
      all.push(...r.objects);
    }
    if (str(p, 'output') === 'json') {
      io.out(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: all }, null, 2));
    } else {
      io.out(
        [
          `# Rendered offline by kokpit render (no cluster). Secrets contain PLACEHOLDER data, not keys.`,
          ...comments,
          ...all.map((o) => `---\n${stringify(o).trimEnd()}`),
        ].join('\n'),
      );
    }
    return EXIT.OK;
  },
};
