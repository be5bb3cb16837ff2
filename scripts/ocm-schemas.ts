// Copies the Open Cluster Management CRDs kokpit knows (src/api/ocm.ts) from the Go module hack/bins/ocm pins into
// schemas/ocm/, verbatim below a header naming the source. The editor validates OCM documents against them offline
// (src/validation/ocm-schemas.ts) and tests install them with installCRDs(kc, 'schemas/ocm').
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { OCM_CRD_SOURCE_DIR, OCM_KINDS, OCM_MODULE, OCM_MODULE_VERSION, OCM_SCHEMA_DIR, ocmSchemaFile } from '../src/api/ocm';

/** The module's directory in the Go module cache (downloaded if the proxy is reachable and it is not there yet). */
export function ocmModuleDir(repoRoot: string): string {
  if (process.env.OCM_MODULE_DIR) return process.env.OCM_MODULE_DIR;
  const out = execFileSync('go', ['mod', 'download', '-json', `${OCM_MODULE}@${OCM_MODULE_VERSION}`], {
    cwd: join(repoRoot, 'hack', 'bins', 'ocm'),
    env: { ...process.env, GOWORK: 'off' },
    encoding: 'utf8',
  });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir || !existsSync(dir)) throw new Error(`go mod download gave no directory for ${OCM_MODULE}@${OCM_MODULE_VERSION}`);
  return dir;
}

/** schemas/ocm/<group>_<plural>.yaml for every kind of OCM_KINDS, from the module at `moduleDir`. */
export function ocmSchemaFiles(moduleDir: string): Map<string, string> {
  const src = join(moduleDir, OCM_CRD_SOURCE_DIR);
  const byName = new Map<string, { file: string; text: string }>();
  for (const file of readdirSync(src).filter((f) => f.endsWith('.crd.yaml'))) {
    const text = readFileSync(join(src, file), 'utf8');
    const crd = parse(text) as { metadata?: { name?: string } };
    if (crd?.metadata?.name) byName.set(crd.metadata.name, { file, text });
  }
  const files = new Map<string, string>();
  for (const k of OCM_KINDS) {
    const name = `${k.plural}.${k.group}`;
    const hit = byName.get(name);
    if (!hit) throw new Error(`${OCM_MODULE}@${OCM_MODULE_VERSION} has no CRD ${name} in ${OCM_CRD_SOURCE_DIR}`);
    const header =
      `# Copied by \`npm run generate\` (scripts/ocm-schemas.ts) from ${OCM_MODULE}@${OCM_MODULE_VERSION} ` +
      `${OCM_CRD_SOURCE_DIR}/${hit.file} — never edit by hand.\n`;
    files.set(`${OCM_SCHEMA_DIR}/${ocmSchemaFile(k)}`, header + hit.text);
  }
  return files;
}
