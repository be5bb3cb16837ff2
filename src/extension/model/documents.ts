// Which YAML documents are kokpit's business.

/** Text markers of manifests kokpit validates: its own API group, kind cluster configs, and Open Cluster Management's
 *  groups (cluster., work. and addon.open-cluster-management.io/). */
export const KOKPIT_MARKERS = ['kokpit.dev/', 'kind.x-k8s.io/', 'open-cluster-management.io/'] as const;

/** Workspace files `kokpit.validateWorkspace` looks at, and what it never descends into. */
export const WORKSPACE_YAML_GLOB = '**/*.{yaml,yml}';
export const WORKSPACE_EXCLUDE_GLOB = '**/{node_modules,.git,dist,out}/**';

/** Diagnostics run on YAML documents that mention a kokpit marker (and stay silent on every other YAML file). */
export function shouldValidate(languageId: string, text: string): boolean {
  return languageId === 'yaml' && KOKPIT_MARKERS.some((m) => text.includes(m));
}

/** File names the editor schema is bound to (`contributes.yamlValidation`): `*.kokpit.yaml`, `kokpit.yaml`, `…/kokpit/…/*.yaml`. */
export function isKokpitFileName(path: string): boolean {
  const p = path.replace(/\\/g, '/');
  return /(^|\/)([^/]+\.)?kokpit\.ya?ml$/.test(p) || /(^|\/)kokpit\/(.+\/)?[^/]+\.ya?ml$/.test(p);
}

/** Completion and hover also help in a kokpit-named file that is still empty of markers. */
export function shouldAssist(languageId: string, text: string, path: string): boolean {
  return shouldValidate(languageId, text) || (languageId === 'yaml' && isKokpitFileName(path));
}
