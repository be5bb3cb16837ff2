// Which components a machine runs, at which version, in which order. Pure: the reconciler passes in the
// Component definitions it read.
import type { ComponentSpec, MachineSpec } from '../../api';

export interface PlannedComponent {
  name: string;
  version: string;
  /** Components this one waits for (all of them are earlier in the plan). */
  dependsOn: string[];
}

export type ComponentPlan =
  | { ok: true; components: PlannedComponent[] }
  /** `terminal`: the spec itself is wrong (a cycle, a dependency the machine does not run, an unsupported provider);
   *  otherwise the world may still change (a Component not created yet). */
  | { ok: false; terminal: boolean; reason: string; message: string };

/**
 * Orders the machine's components so every one comes after what it depends on (Kahn's algorithm; ties
 * keep the order the machine lists them in, so the plan is stable). Versions: the machine's, else the
 * Component's default.
 */
export function planComponents(
  refs: MachineSpec['components'],
  definitions: ReadonlyMap<string, ComponentSpec>,
  provider: MachineSpec['provider'],
): ComponentPlan {
  const wanted = refs ?? [];
  const missing = wanted.filter((r) => !definitions.has(r.name)).map((r) => r.name);
  if (missing.length) {
    return { ok: false, terminal: false, reason: 'ComponentNotFound', message: `Component ${missing.join(', ')} not found` };
  }
  const names = new Set(wanted.map((r) => r.name));
  for (const r of wanted) {
    const def = definitions.get(r.name)!;
    const absent = (def.dependsOn ?? []).filter((d) => !names.has(d));
    if (absent.length) {
      return {
        ok: false,
        terminal: true,
        reason: 'DependencyNotListed',
        message:
          `component ${r.name} depends on ${absent.join(', ')}, which the machine does not run; ` +
          `add ${absent.length > 1 ? 'them' : 'it'} to spec.components`,
      };
    }
    if (def.providers && !def.providers.includes(provider)) {
      return {
        ok: false,
        terminal: true,
        reason: 'ProviderNotSupported',
        message: `component ${r.name} supports providers ${def.providers.join(', ')}, not ${provider}`,
      };
    }
  }

  const order: PlannedComponent[] = [];
  const placed = new Set<string>();
  let remaining = [...wanted];
  while (remaining.length) {
    const ready = remaining.filter((r) => (definitions.get(r.name)!.dependsOn ?? []).every((d) => placed.has(d)));
    if (!ready.length) {
      return {
        ok: false,
        terminal: true,
        reason: 'DependencyCycle',
        message: `components depend on each other in a cycle: ${describeCycle(
          remaining.map((r) => r.name),
          definitions,
        )}`,
      };
    }
    for (const r of ready) {
      const def = definitions.get(r.name)!;
      order.push({ name: r.name, version: r.version ?? def.version, dependsOn: [...(def.dependsOn ?? [])] });
      placed.add(r.name);
    }
    remaining = remaining.filter((r) => !placed.has(r.name));
  }
  return { ok: true, components: order };
}

/** One cycle among `names`, e.g. `a -> b -> a`, for the condition message. */
export function describeCycle(names: string[], definitions: ReadonlyMap<string, ComponentSpec>): string {
  const inSet = new Set(names);
  const start = names[0];
  const path: string[] = [];
  const seen = new Map<string, number>();
  let at: string | undefined = start;
  while (at !== undefined && !seen.has(at)) {
    seen.set(at, path.length);
    path.push(at);
    at = (definitions.get(at)?.dependsOn ?? []).find((d) => inSet.has(d));
  }
  if (at === undefined) return names.join(', ');
  return [...path.slice(seen.get(at)!), at].join(' -> ');
}

/** Cycles in the whole catalogue of Components (for the Component reconciler's Valid condition). */
export function findCycleThrough(name: string, definitions: ReadonlyMap<string, ComponentSpec>): string | undefined {
  // Depth-first from `name`: a path that comes back to it is a cycle it is part of.
  const stack: string[] = [];
  const visited = new Set<string>();
  const visit = (n: string): string | undefined => {
    for (const d of definitions.get(n)?.dependsOn ?? []) {
      if (d === name) return [name, ...stack, name].join(' -> ');
      if (visited.has(d)) continue;
      visited.add(d);
      stack.push(d);
      const found = visit(d);
      if (found) return found;
      stack.pop();
    }
    return undefined;
  };
  return visit(name);
}
