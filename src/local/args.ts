// Flag parsing shared by kokpit's cluster commands: `--flag value`, `--flag=value`, short aliases, and
// positionals; unknown flags are usage errors (exit code 2), never ignored.
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../cli/command';
import { loadKubeConfig } from '../kube';
import { DEFAULT_ENV_NAME, runningEnvironment } from './state';

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  /** Takes a value (else a boolean switch). */
  value?: boolean;
  /** Allowed values. */
  oneOf?: readonly string[];
}

export interface Parsed {
  flags: Record<string, string | true>;
  positionals: string[];
}

export function parseFlags(argv: string[], specs: FlagSpec[]): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    const spec = specs.find((s) => `--${s.name}` === flag || (s.short && `-${s.short}` === flag));
    if (!spec) throw new UsageError(`unknown flag ${flag}`);
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      flags[spec.name] = true;
      continue;
    }
    const v = inline ?? argv[++i];
    // `-o -` is a value (stdout); any other dash-led word means the value is missing.
    if (v === undefined || v === '' || (v.startsWith('-') && v !== '-')) throw new UsageError(`${flag} needs a value`);
    if (spec.oneOf && !spec.oneOf.includes(v)) throw new UsageError(`${flag} must be one of ${spec.oneOf.join(', ')}, got "${v}"`);
    flags[spec.name] = v;
  }
  return { flags, positionals };
}

export const str = (p: Parsed, name: string): string | undefined => (typeof p.flags[name] === 'string' ? (p.flags[name] as string) : undefined);

/** --kubeconfig/--context/--name, the flags every command that talks to a meta cluster takes. */
export const META_FLAGS: FlagSpec[] = [{ name: 'kubeconfig', value: true }, { name: 'context', value: true }, { name: 'name', value: true }];

export interface MetaCluster {
  kc: KubeConfig;
  /** Where the kubeconfig came from, for messages. */
  source: string;
}

/**
 * The meta cluster: --kubeconfig, else $KUBECONFIG, else the running local environment (`kokpit up
 * --name`, default "kokpit"), else ~/.kube/config.
 */
export function metaCluster(p: Parsed, env: NodeJS.ProcessEnv = process.env): MetaCluster {
  const context = str(p, 'context');
  const explicit = str(p, 'kubeconfig') ?? env.KUBECONFIG?.split(path.delimiter).filter(Boolean)[0];
  if (explicit) return { kc: loadKubeConfig({ kubeconfigPath: explicit, context }), source: explicit };
  const name = str(p, 'name') ?? DEFAULT_ENV_NAME;
  const local = runningEnvironment(name);
  if (local) return { kc: loadKubeConfig({ kubeconfigPath: local.kubeconfig, context }), source: `local environment "${name}"` };
  const home = path.join(os.homedir(), '.kube', 'config');
  return { kc: loadKubeConfig({ kubeconfigPath: home, context }), source: home };
}
