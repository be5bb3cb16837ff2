// Component step scripts: template parameters and the order steps run in. Pure.
import type { ComponentSpec } from '../../api';

export type StepName = 'install' | 'upgrade' | 'health' | 'repair' | 'uninstall';

export interface StepParameters {
  version: string;
  machine: Record<string, string>;
  cluster: Record<string, string>;
}

/**
 * Replaces `{{ .version }}`, `{{ .machine.<key> }}` and `{{ .cluster.<key> }}`. An unknown parameter is an
 * error (a script that silently runs with an empty value is worse than one that does not run).
 */
export function renderScript(script: string, params: StepParameters): { ok: true; script: string } | { ok: false; message: string } {
  const unknown: string[] = [];
  const out = script.replace(/\{\{\s*\.([a-zA-Z0-9_.]+)\s*\}\}/g, (whole, path: string) => {
    const [head, key, ...rest] = path.split('.');
    let value: string | undefined;
    if (head === 'version' && key === undefined) value = params.version;
    else if ((head === 'machine' || head === 'cluster') && key !== undefined && rest.length === 0) value = params[head][key];
    if (value === undefined) {
      unknown.push(`{{ .${path} }}`);
      return whole;
    }
    return value;
  });
  return unknown.length
    ? { ok: false, message: `unknown template parameter ${[...new Set(unknown)].join(', ')}` }
    : { ok: true, script: out };
}

/** The step that moves a component from `installed` (undefined: not installed) to `desired`, if any. */
export function changeStep(
  spec: ComponentSpec,
  installed: string | undefined,
  desired: string,
): { step: 'install' | 'upgrade'; script: string; timeoutSeconds: number } | undefined {
  if (installed === desired) return undefined;
  const s =
    installed !== undefined && spec.steps.upgrade
      ? { step: 'upgrade' as const, ...spec.steps.upgrade }
      : { step: 'install' as const, ...spec.steps.install };
  return { step: s.step, script: s.script, timeoutSeconds: s.timeoutSeconds ?? 300 };
}
