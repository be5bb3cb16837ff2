// What kokpit applied into a business cluster for each addon, kept in the business cluster itself
// (ConfigMap kube-system/kokpit-addons, one data key per addon: a sorted JSON list of object refs).
// Server-side apply never deletes, so this inventory is how an addon removed from spec.addons, or an
// object that vanished from an addon's rendering, gets deleted (pruned).
//
// Crash-safe order, per pass: (1) write old ∪ new before applying anything new, so an object is in the
// inventory before it exists; (2) apply; (3) delete what is in the inventory but no longer rendered;
// (4) write the final set. A crash between any two steps leaves an inventory that covers every object
// kokpit may have created, so the next pass prunes what it must and never leaks. Writes happen only
// when the stored content differs: a steady pass writes nothing.
import type { KubernetesObject } from '@kubernetes/client-node';
import { describeKubeError, describeRef } from '../../kube';
import type { Applier } from '../../kit';
import { ADDON_LABEL } from './render/addons';

export const INVENTORY_NAMESPACE = 'kube-system';
export const INVENTORY_NAME = 'kokpit-addons';

export interface InventoryEntry {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Addon name → the objects kokpit applied for it. */
export type Inventory = Record<string, InventoryEntry[]>;

export function entryOf(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): InventoryEntry {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name,
  };
}

/** Identity of an object across API versions of the same group (apps/v1beta1 and apps/v1 are one Deployment). */
export function entryKey(e: InventoryEntry): string {
  const group = e.apiVersion.includes('/') ? e.apiVersion.split('/')[0] : '';
  return `${group}/${e.kind}/${e.namespace ?? ''}/${e.name}`;
}

function sortEntries(entries: InventoryEntry[]): InventoryEntry[] {
  const byKey = new Map<string, InventoryEntry>();
  for (const e of entries)
    byKey.set(entryKey(e), { apiVersion: e.apiVersion, kind: e.kind, ...(e.namespace ? { namespace: e.namespace } : {}), name: e.name });
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}

/** Canonical form: sorted, de-duplicated entries; addons with nothing recorded are dropped. */
export function normalizeInventory(inv: Inventory): Inventory {
  const out: Inventory = {};
  for (const addon of Object.keys(inv).sort()) {
    const entries = sortEntries(inv[addon]);
    if (entries.length) out[addon] = entries;
  }
  return out;
}

/** ConfigMap data: one key per addon, each a sorted JSON list (stable text, so equal inventories compare equal). */
export function encodeInventory(inv: Inventory): Record<string, string> {
  const n = normalizeInventory(inv);
  return Object.fromEntries(Object.entries(n).map(([addon, entries]) => [addon, JSON.stringify(entries)]));
}

export function decodeInventory(data: Record<string, string> | undefined): Inventory {
  const inv: Inventory = {};
  for (const [addon, text] of Object.entries(data ?? {})) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue; // a hand-edited, broken key: forget it rather than fail every pass
    }
    if (!Array.isArray(parsed)) continue;
    inv[addon] = parsed.filter(
      (e): e is InventoryEntry => !!e && typeof e.apiVersion === 'string' && typeof e.kind === 'string' && typeof e.name === 'string',
    );
  }
  return normalizeInventory(inv);
}

export function sameInventory(a: Inventory, b: Inventory): boolean {
  return JSON.stringify(encodeInventory(a)) === JSON.stringify(encodeInventory(b));
}

/** Per addon, the entries of both. */
export function unionInventory(a: Inventory, b: Inventory): Inventory {
  const out: Inventory = {};
  for (const addon of new Set([...Object.keys(a), ...Object.keys(b)])) out[addon] = [...(a[addon] ?? []), ...(b[addon] ?? [])];
  return normalizeInventory(out);
}

/**
 * What to delete: objects recorded in `old` that no addon of `next` records (an object two addons
 * render stays while either still renders it). Namespaced objects first, Namespaces last, so a
 * Namespace's deletion never races the objects in it.
 */
export function pruneList(old: Inventory, next: Inventory): Array<{ addon: string; entry: InventoryEntry }> {
  const keep = new Set(Object.values(next).flat().map(entryKey));
  const seen = new Set<string>();
  const out: Array<{ addon: string; entry: InventoryEntry }> = [];
  for (const [addon, entries] of Object.entries(normalizeInventory(old))) {
    for (const entry of entries) {
      const k = entryKey(entry);
      if (keep.has(k) || seen.has(k)) continue;
      seen.add(k);
      out.push({ addon, entry });
    }
  }
  const rank = (e: InventoryEntry) => (e.kind === 'Namespace' ? 2 : e.namespace ? 0 : 1);
  return out.sort((a, b) => rank(a.entry) - rank(b.entry) || (entryKey(a.entry) < entryKey(b.entry) ? -1 : 1));
}

const ref = () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: INVENTORY_NAME, namespace: INVENTORY_NAMESPACE } });

/** The inventory as stored in a business cluster; `save` writes only when the content changes. */
export class AddonInventoryStore {
  private constructor(
    private readonly applier: Applier,
    /** What the ConfigMap holds now (empty when it does not exist). */
    public stored: Inventory,
  ) {}

  static async load(applier: Applier): Promise<AddonInventoryStore> {
    const cm = await applier.read<KubernetesObject & { data?: Record<string, string> }>(ref());
    return new AddonInventoryStore(applier, decodeInventory(cm?.data));
  }

  async save(inv: Inventory): Promise<void> {
    if (sameInventory(inv, this.stored)) return;
    const desired = {
      ...ref(),
      metadata: { ...ref().metadata, labels: { 'app.kubernetes.io/managed-by': 'kokpit' } },
      data: encodeInventory(inv),
    };
    // Always a full apply: keys of removed addons must go, and one field manager's apply drops the
    // fields it no longer sends (a "does live contain desired" check would keep them).
    await this.applier.ensureAgainst(desired as KubernetesObject, undefined);
    this.stored = normalizeInventory(inv);
  }

  /**
   * Deletes what `stored` records and `next` does not. Returns `next` plus whatever could not be deleted
   * (kept under its addon, to retry next pass) and the problems met. An object that lost kokpit's labels
   * was taken over by someone else: it is left alone and forgotten.
   */
  async prune(next: Inventory): Promise<{ inventory: Inventory; deleted: InventoryEntry[]; problems: string[] }> {
    const inventory: Inventory = { ...next };
    const deleted: InventoryEntry[] = [];
    const problems: string[] = [];
    for (const { addon, entry } of pruneList(this.stored, next)) {
      const target = { apiVersion: entry.apiVersion, kind: entry.kind, metadata: { name: entry.name, namespace: entry.namespace } };
      try {
        const live = await this.applier.read(target);
        if (!live) continue;
        const labels = live.metadata?.labels ?? {};
        if (!labels[ADDON_LABEL] && labels['app.kubernetes.io/managed-by'] !== 'kokpit') continue;
        await this.applier.delete(target);
        deleted.push(entry);
      } catch (e) {
        // The kind is no longer served (its CRD went away): nothing of it can exist any more.
        if (/Unrecognized API version and kind/.test(String((e as Error)?.message))) continue;
        problems.push(`addon ${addon}: deleting ${describeRef(target)}: ${describeKubeError(e)}`);
        inventory[addon] = [...(inventory[addon] ?? []), entry];
      }
    }
    return { inventory: normalizeInventory(inventory), deleted, problems };
  }
}

export interface AddonRendering {
  name: string;
  /** What the addon renders now; undefined when rendering failed (it keeps what it applied before). */
  objects?: KubernetesObject[];
}

export type SyncPhase = 'recorded' | 'applied' | 'pruned';

/**
 * One addons pass against a business cluster, in the crash-safe order described at the top of this file.
 * `renderings` are the addons in spec; recorded addons missing from it are removed. `afterPhase` lets
 * tests stop ("crash") between phases.
 */
export async function syncAddonObjects(
  applier: Applier,
  renderings: AddonRendering[],
  opts: { afterPhase?: (phase: SyncPhase) => void | Promise<void> } = {},
): Promise<{ applyErrors: Map<string, unknown>; deleted: InventoryEntry[]; pruneProblems: string[] }> {
  const inventory = await AddonInventoryStore.load(applier);
  const next: Inventory = {};
  for (const r of renderings) {
    next[r.name] = r.objects ? r.objects.map((o) => entryOf(o as Parameters<typeof entryOf>[0])) : (inventory.stored[r.name] ?? []);
  }
  await inventory.save(unionInventory(inventory.stored, next));
  await opts.afterPhase?.('recorded');
  const applyErrors = new Map<string, unknown>();
  for (const r of renderings) {
    if (!r.objects) continue;
    try {
      for (const o of r.objects) await applier.ensure(o);
    } catch (e) {
      applyErrors.set(r.name, e);
      // Not replaced: the old objects stay recorded (and in place) until an apply succeeds.
      next[r.name] = [...(inventory.stored[r.name] ?? []), ...next[r.name]];
    }
  }
  await opts.afterPhase?.('applied');
  const pruned = await inventory.prune(next);
  await opts.afterPhase?.('pruned');
  await inventory.save(pruned.inventory);
  return { applyErrors, deleted: pruned.deleted, pruneProblems: pruned.problems };
}
