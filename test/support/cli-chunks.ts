// What a path of the bundled CLI loads, read from the esbuild metafile scripts/build.mjs writes (dist/cli/meta.json):
// a chunk's static imports load with it, its import()s only when a command runs. Used by the bundle test and the
// `cli` benchmark.
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Metafile {
  outputs: Record<
    string,
    { bytes: number; imports: Array<{ path: string; kind: string; external?: boolean }>; inputs: Record<string, unknown> }
  >;
}

export interface Loaded {
  /** The chunks that load together, paths as in the metafile (dist/cli/…). */
  chunks: string[];
  bytes: number;
  /** The source files and node_modules files bundled in them. */
  inputs: string[];
}

export function readCliMeta(root: string): Metafile | undefined {
  const file = path.join(root, 'dist', 'cli', 'meta.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Metafile) : undefined;
}

/** The chunks named (main, or a command's module: validate, up, …) and everything they import statically. */
export function loadedWith(meta: Metafile, ...names: string[]): Loaded {
  const chunks = new Set<string>();
  const visit = (o: string) => {
    if (chunks.has(o)) return;
    chunks.add(o);
    for (const i of meta.outputs[o].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  for (const name of names) {
    const start = Object.keys(meta.outputs).find((o) => new RegExp(`/${name}(-[A-Z0-9]+)?\\.mjs$`).test(o));
    if (!start) throw new Error(`no chunk ${name} in the CLI metafile`);
    visit(start);
  }
  const list = [...chunks];
  return {
    chunks: list,
    bytes: list.reduce((n, o) => n + meta.outputs[o].bytes, 0),
    inputs: list.flatMap((o) => Object.keys(meta.outputs[o].inputs)),
  };
}

/** The source files and node_modules files in dist/cli/validate.cjs, the bundle `kokpit validate` runs (its own
 *  metafile, dist/cli/validate-meta.json). */
export function validateBundleInputs(root: string): string[] | undefined {
  const file = path.join(root, 'dist', 'cli', 'validate-meta.json');
  if (!fs.existsSync(file)) return undefined;
  const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as Metafile;
  return Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs));
}
