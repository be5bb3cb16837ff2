// `kokpit validate [--output text|json] <files or dirs…>`: the editor's checks, offline, for CI and scripts.
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { defaultAddons } from '../../catalog';
import { definedNames, validateText, type Diagnostic } from '../../validation';
import { EXIT, UsageError, type CliIO, type Command } from '../command';

type Output = 'text' | 'json';

interface Finding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Diagnostic['severity'];
  message: string;
  path: string;
  code: string;
}

export const validateCommand: Command = {
  async run(argv, io) {
    const { output, paths } = parseArgs(argv);
    const { files, ioErrors } = await collectFiles(paths, io);
    if (files.length === 0 && ioErrors === 0) {
      io.err(`kokpit validate: no .yaml or .yml files in ${paths.join(', ')}`);
      return EXIT.USAGE;
    }

    // Read everything first: a Machine may name a Component defined in another file of the same run.
    const texts: { file: string; text: string }[] = [];
    let readErrors = 0;
    for (const f of files) {
      try {
        texts.push({ file: f.display, text: await readFile(f.absolute, 'utf8') });
      } catch (e) {
        io.err(`${f.display}: error: ${errorText(e)}`);
        readErrors++;
      }
    }
    const knownComponents = new Set<string>();
    const knownAddons = new Set<string>(defaultAddons().map((a) => a.metadata.name));
    for (const { text } of texts) {
      const names = definedNames(text);
      names.components.forEach((n) => knownComponents.add(n));
      names.addons.forEach((n) => knownAddons.add(n));
    }

    const findings: Finding[] = [];
    for (const { file, text } of texts) {
      for (const d of validateText(text, { knownComponents: [...knownComponents], knownAddons: [...knownAddons] })) {
        findings.push({ file, line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn, severity: d.severity, message: d.message, path: d.path, code: d.code });
      }
    }

    if (output === 'json') io.out(JSON.stringify(findings, null, 2));
    else for (const f of findings) io.out(`${f.file}:${f.line}:${f.column}: ${f.severity}: ${f.message}`);
    const errors = findings.filter((f) => f.severity === 'error').length;
    io.progress(`${errors} error(s), ${findings.length - errors} warning(s) in ${texts.length} file(s)`);

    if (ioErrors + readErrors > 0) return EXIT.USAGE;
    return errors > 0 ? EXIT.FAILED : EXIT.OK;
  },
};

function parseArgs(argv: string[]): { output: Output; paths: string[] } {
  let output: Output = 'text';
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let value: string | undefined;
    if (arg === '--output' || arg === '-o') {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value: text or json`);
    } else if (arg.startsWith('--output=')) value = arg.slice('--output='.length);
    else if (arg === '--') {
      paths.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown flag ${arg}`);
    else {
      paths.push(arg);
      continue;
    }
    if (value !== 'text' && value !== 'json') throw new UsageError(`--output must be text or json, not "${value}"`);
    output = value;
  }
  if (paths.length === 0) throw new UsageError('give at least one file or directory');
  return { output, paths };
}

interface FileToCheck {
  /** As the user wrote it (or below a directory they gave): what findings print. */
  display: string;
  absolute: string;
}

async function collectFiles(paths: string[], io: CliIO): Promise<{ files: FileToCheck[]; ioErrors: number }> {
  const files: FileToCheck[] = [];
  let ioErrors = 0;
  for (const given of paths) {
    const absolute = isAbsolute(given) ? given : resolve(io.cwd, given);
    let info;
    try {
      info = await stat(absolute);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      io.err(`${given}: error: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : errorText(e)}`);
      ioErrors++;
      continue;
    }
    if (info.isDirectory()) {
      const found = await walk(absolute, given.replace(/\/+$/, '') || '/');
      files.push(...found);
    } else files.push({ display: given, absolute });
  }
  return { files, ioErrors };
}

/** YAML files below a directory, in a stable (sorted) order. */
async function walk(dir: string, display: string): Promise<FileToCheck[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: FileToCheck[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const abs = join(dir, e.name);
    const shown = display === '.' ? e.name : `${display}/${e.name}`;
    if (e.isDirectory()) out.push(...(await walk(abs, shown)));
    else if ((e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/i.test(e.name)) out.push({ display: shown, absolute: abs });
  }
  return out;
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EACCES') return 'permission denied';
  if (err?.code === 'EISDIR') return 'is a directory';
  return err instanceof Error ? err.message : String(e);
}
