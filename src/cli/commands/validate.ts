// `kokpit validate [--output text|json] <files or dirs…>`: the editor's checks, offline, for CI and scripts.
// Every file is read within bounds (validation/read-file.ts); a file that cannot be read, or that the engine
// fails on, is named and the other files' findings are still printed.
// Synchronous fs calls: the files are read one after another anyway, and node:fs/promises would load ~30 more of
// Node's own modules (readline, streams) before the first check (npm run bench -- cli).
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { defaultAddons } from '../../catalog';
import { definedNames, validateText, type Diagnostic } from '../../validation';
import { ioErrorText, readManifestFile } from '../../validation/read-file';
import { EXIT, UsageError, type CliIO, type Command } from '../command';
import { printable, printableJson } from '../printable';

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
    const { files, ioErrors } = collectFiles(paths, io);
    if (files.length === 0 && ioErrors === 0) {
      io.err(`kokpit validate: no .yaml or .yml files in ${paths.join(', ')}`);
      return EXIT.USAGE;
    }

    // Read everything first: a Machine may name a Component defined in another file of the same run.
    const texts: { file: string; text: string }[] = [];
    let readErrors = 0;
    for (const f of files) {
      try {
        texts.push({ file: f.display, text: readManifestFile(f.absolute) });
      } catch (e) {
        io.err(printable(`${f.display}: error: ${e instanceof Error ? e.message : String(e)}`));
        readErrors++;
      }
    }
    const knownComponents = new Set<string>();
    const knownAddons = new Set<string>(defaultAddons().map((a) => a.metadata.name));
    const findings: Finding[] = [];
    for (const { file, text } of texts) {
      const names = guarded(file, findings, () => definedNames(text));
      names?.components.forEach((n) => knownComponents.add(n));
      names?.addons.forEach((n) => knownAddons.add(n));
    }
    for (const { file, text } of texts) {
      const found =
        guarded(file, findings, () => validateText(text, { knownComponents: [...knownComponents], knownAddons: [...knownAddons] })) ?? [];
      for (const d of found) {
        findings.push({
          file,
          line: d.line,
          column: d.column,
          endLine: d.endLine,
          endColumn: d.endColumn,
          severity: d.severity,
          message: d.message,
          path: d.path,
          code: d.code,
        });
      }
    }

    if (output === 'json') io.out(printableJson(JSON.stringify(findings, null, 2)));
    else for (const f of findings) io.out(printable(`${f.file}:${f.line}:${f.column}: ${f.severity}: ${f.message}`));
    const errors = findings.filter((f) => f.severity === 'error').length;
    io.progress(`${errors} error(s), ${findings.length - errors} warning(s) in ${texts.length} file(s)`);

    if (ioErrors + readErrors > 0) return EXIT.USAGE;
    return errors > 0 ? EXIT.FAILED : EXIT.OK;
  },
};

/** The engine must not fail on any text; if it does, the file is named with an error finding and the run goes on. */
function guarded<T>(file: string, findings: Finding[], run: () => T): T | undefined {
  try {
    return run();
  } catch (e) {
    const message = `kokpit could not check this file: ${e instanceof Error ? e.message : String(e)}`;
    if (!findings.some((f) => f.file === file && f.code === 'internal'))
      findings.push({ file, line: 1, column: 1, endLine: 1, endColumn: 1, severity: 'error', message, path: '', code: 'internal' });
    return undefined;
  }
}

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

function collectFiles(paths: string[], io: CliIO): { files: FileToCheck[]; ioErrors: number } {
  const files: FileToCheck[] = [];
  let ioErrors = 0;
  for (const given of paths) {
    const absolute = isAbsolute(given) ? given : resolve(io.cwd, given);
    let info;
    try {
      info = statSync(absolute);
    } catch (e) {
      io.err(printable(`${given}: error: ${ioErrorText(e)}`));
      ioErrors++;
      continue;
    }
    if (info.isDirectory()) {
      const unreadable = (shown: string, e: unknown) => {
        io.err(printable(`${shown}: error: ${ioErrorText(e)}`));
        ioErrors++;
      };
      files.push(...walk(absolute, given.replace(/\/+$/, '') || '/', unreadable));
    } else files.push({ display: given, absolute });
  }
  return { files, ioErrors };
}

/** YAML files below a directory, in a stable (sorted) order; a directory that cannot be listed is reported and skipped. */
function walk(dir: string, display: string, unreadable: (shown: string, e: unknown) => void): FileToCheck[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    unreadable(display, e);
    return [];
  }
  const out: FileToCheck[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const abs = join(dir, e.name);
    const shown = display === '.' ? e.name : `${display}/${e.name}`;
    if (e.isDirectory()) out.push(...walk(abs, shown, unreadable));
    else if ((e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/i.test(e.name)) out.push({ display: shown, absolute: abs });
  }
  return out;
}
