// `kokpit validate`'s line of the command table, on its own: the validate bundle (validate-main.ts) needs it for
// `kokpit validate --help` and usage errors, and importing registry.ts would bundle every command along.
export const VALIDATE_ENTRY = {
  name: 'validate',
  summary: 'Check kokpit manifests and kind configs (schema, YAML and semantic rules) offline',
  usage:
    'kokpit validate [--output text|json] <files or dirs…>\n\n' +
    'Directories are searched recursively for *.yaml and *.yml (node_modules and dot-directories are skipped).\n' +
    'Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O error.',
} as const;
