// Flag parsing shared by kokpit's commands (node:util parseArgs underneath): `--flag value`, `--flag=value`,
// short aliases, and positionals; unknown flags are usage errors (exit code 2), never ignored.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from './command';
import { loadKubeConfig } from '../kube';
import { DEFAULT_ENV_NAME, runningEnvironments } from '../local/state';

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

/**
 * Node's own `util.parseArgs` (strict) does the parsing; this adds kokpit's rules on top: a value may not be
 * empty, `oneOf` values, and usage errors worded for a person (`-o needs a value`, `unknown flag --nope`).
 */
export function parseFlags(argv: string[], specs: FlagSpec[]): Parsed {
  const options = Object.fromEntries(
    specs.map((s) => [s.name, { type: s.value ? ('string' as const) : ('boolean' as const), ...(s.short ? { short: s.short } : {}) }]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(usageMessage(e, argv, specs));
  }
  const flags: Parsed['flags'] = {};
  for (const spec of specs) {
    const v = parsed.values[spec.name];
    if (v === undefined || v === false) continue;
    const written = lastWritten(argv, spec);
    if (typeof v === 'string') {
      if (v === '') throw new UsageError(`${written} needs a value`);
      if (spec.oneOf && !spec.oneOf.includes(v)) throw new UsageError(`${written} must be one of ${spec.oneOf.join(', ')}, got "${v}"`);
    }
    flags[spec.name] = typeof v === 'string' ? v : true;
  }
  return { flags, positionals: parsed.positionals };
}

/** How the user wrote a flag last (`-o` or `--output`), for messages. */
function lastWritten(argv: string[], spec: FlagSpec): string {
  const forms = [`--${spec.name}`, ...(spec.short ? [`-${spec.short}`] : [])];
  const used = [...argv]
    .reverse()
    .map((a) => a.split('=')[0])
    .find((a) => forms.includes(a));
  return used ?? `--${spec.name}`;
}

function usageMessage(e: unknown, argv: string[], specs: FlagSpec[]): string {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${/'([^']+)'/.exec(msg)?.[1] ?? msg}`;
  const spec = specs.find((s) => msg.includes(`--${s.name}`) || (s.short && msg.includes(`-${s.short},`)));
  const written = spec ? lastWritten(argv, spec) : '';
  if (spec && !spec.value) return `${written} takes no value`;
  if (spec) return `${written} needs a value`;
  return msg;
}

export const str = (p: Parsed, name: string): string | undefined =>
  typeof p.flags[name] === 'string' ? (p.flags[name] as string) : undefined;

/** --kubeconfig/--context/--name, the flags every command that talks to a meta cluster takes. */
export const META_FLAGS: FlagSpec[] = [
  { name: 'kubeconfig', value: true },
  { name: 'context', value: true },
  { name: 'name', value: true },
];

export interface MetaCluster {
  kc: KubeConfig;
  /** Where the kubeconfig came from, for messages. */
  source: string;
}

/** The local environment a command means: --name, else the only one running, else the default "kokpit". */
export function environmentName(p: Parsed): string {
  const named = str(p, 'name');
  if (named) return named;
  const running = runningEnvironments();
  return running.length === 1 ? running[0].name : DEFAULT_ENV_NAME;
}

/**
 * The meta cluster: --kubeconfig, else $KUBECONFIG, else the local environment `--name` names, else the one
 * running local environment (the default "kokpit" when several run), else ~/.kube/config. Every miss is a
 * sentence that says what was looked for and the flag that picks another, never a raw errno.
 */
export function metaCluster(p: Parsed, env: NodeJS.ProcessEnv = process.env): MetaCluster {
  const context = str(p, 'context');
  const load = (file: string, what: string) => {
    if (!fs.existsSync(file)) throw new UsageError(`${what} names ${file}, which does not exist`);
    return loadKubeConfig({ kubeconfigPath: file, context });
  };
  const flag = str(p, 'kubeconfig');
  if (flag) return { kc: load(flag, '--kubeconfig'), source: flag };
  const fromEnv = env.KUBECONFIG?.split(path.delimiter).filter(Boolean)[0];
  if (fromEnv) return { kc: load(fromEnv, '$KUBECONFIG'), source: fromEnv };
  const named = str(p, 'name');
  const running = runningEnvironments();
  const names = running.map((r) => r.name).join(', ');
  if (named) {
    const local = running.find((r) => r.name === named);
    if (!local)
      throw new UsageError(
        `local environment "${named}" is not running ` +
          `(${running.length ? `running: ${names}` : 'none runs; start one with `kokpit up --name ' + named + '`'})`,
      );
    return { kc: load(local.kubeconfig, `local environment "${named}"`), source: `local environment "${named}"` };
  }
  const pick = running.length === 1 ? running[0] : running.find((r) => r.name === DEFAULT_ENV_NAME);
  if (pick) return { kc: load(pick.kubeconfig, `local environment "${pick.name}"`), source: `local environment "${pick.name}"` };
  if (running.length > 1)
    throw new UsageError(`several local environments run (${names}); pick one with --name N, or a cluster with --kubeconfig FILE`);
  const home = path.join(os.homedir(), '.kube', 'config');
  if (!fs.existsSync(home)) {
    throw new UsageError(
      `no meta cluster: no local environment runs (start one with \`kokpit up\`), and there is no --kubeconfig, $KUBECONFIG or ${home}`,
    );
  }
  return { kc: load(home, 'the default kubeconfig'), source: home };
}
