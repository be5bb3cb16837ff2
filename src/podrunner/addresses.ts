// Pod IPs: one loopback address per pod (Linux routes all of 127/8 to lo), so pods can listen on the
// same ports side by side. A runner takes a block 127.0.<block>.0/24, claimed machine-wide with a lock
// file so two runners (a sandbox and a test run) never hand out the same address; block 0 (127.0.0.x)
// comes first. Assignments are kept in the state dir, so a pod keeps its address across runner restarts
// and a re-created pod of the same name gets its old one back when it is free.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensurePrivateDir } from '../pki/private-files';
import { netnsPrefix, type PodNetworkMode } from './pod-network';

interface Persisted {
  block: number;
  assigned: Record<string, string>;
}

const FIRST_HOST = 2; // .1 is the block's "node" address (127.0.0.1 is localhost)
const LAST_HOST = 254;
const LAST_HOST_NETNS = 249; // .250–.254 are the bridge's: the relay's addresses (pod-network.ts)

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One lock directory per user, private (0700, ours, checked by ensurePrivateDir): in a directory every user
 * could write, anyone could pre-create the lock files and choose our block, or make us refuse to start. Runners
 * of two users may then pick the same block; the listening-address check below keeps them apart in practice.
 * Directly in the tmp dir (sticky, root's), so no other user owns a directory above it.
 */
export function defaultLockDir(): string {
  return path.join(os.tmpdir(), `kokpit-loopback-blocks-${process.getuid?.() ?? os.userInfo().username}`);
}

/** Claims a block: the preferred one when free, else the lowest free one. Stale locks (dead pid) are taken over. */
function claimBlock(lockDir: string, preferred: number | undefined, owner: string): number {
  ensurePrivateDir(lockDir);
  const order = [...(preferred !== undefined ? [preferred] : []), ...Array.from({ length: 255 }, (_, i) => i)];
  for (const block of order) {
    const file = path.join(lockDir, String(block));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify({ pid: process.pid, owner }), { flag: 'wx' });
        return block;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let holder: { pid?: number; owner?: string } = {};
        try {
          holder = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch {
          /* half-written: treat as stale */
        }
        // Our own pid and owner: a previous runner in this process that did not stop cleanly.
        const ours = holder.pid === process.pid && holder.owner === owner;
        if (holder.pid && pidAlive(holder.pid) && !ours) break;
        fs.rmSync(file, { force: true });
      }
    }
  }
  throw new Error(`no free loopback block in ${lockDir} (255 runners?)`);
}

/**
 * IPv4 addresses with a listening TCP socket in this network namespace (from /proc/net/tcp): a pod IP
 * that something already listens on (an orphan of a runner that was killed) is not handed out.
 */
export function listeningIPv4s(procNetTcp = '/proc/net/tcp'): Set<string> {
  const out = new Set<string>();
  let text: string;
  try {
    text = fs.readFileSync(procNetTcp, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue; // 0A = LISTEN
    const hex = f[1].split(':')[0];
    if (hex.length !== 8) continue;
    // Little-endian on the machines we run on (x86-64, arm64).
    out.add([6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.'));
  }
  return out;
}

export class AddressPool {
  private readonly active = new Set<string>();
  private released = false;

  private constructor(
    private readonly file: string,
    private readonly lockFile: string,
    private readonly state: Persisted,
    /** Addresses taken outside this pool (default: anything listening on them). */
    private readonly busy: () => Set<string> = () => listeningIPv4s(),
    /** Pod addresses are `<prefix><host>`: 127.0.<block>. (loopback) or 198.18.<block>. (netns). */
    private readonly prefix = `127.0.${state.block}.`,
  ) {}

  /**
   * The netns network's pods live in a namespace made afresh by each runner (nothing of a previous one listens
   * there), so only this pool's own assignments are busy.
   */
  static open(stateDir: string, lockDir = defaultLockDir(), busy?: () => Set<string>, network: PodNetworkMode = 'loopback'): AddressPool {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const file = path.join(stateDir, 'addresses.json');
    let prev: Persisted | undefined;
    try {
      prev = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      /* first start */
    }
    const block = claimBlock(lockDir, prev?.block, path.resolve(stateDir));
    const prefix = network === 'netns' ? netnsPrefix(block) : `127.0.${block}.`;
    // Assignments only carry over within the same block and network.
    const kept = Object.entries(prev?.block === block ? prev.assigned : {}).filter(([, ip]) => ip.startsWith(prefix));
    const state: Persisted = { block, assigned: Object.fromEntries(kept) };
    const pool = new AddressPool(file, path.join(lockDir, String(block)), state, network === 'netns' ? () => new Set() : busy, prefix);
    pool.save();
    return pool;
  }

  get block(): number {
    return this.state.block;
  }

  /** The block's node address (127.0.<block>.1; for block 0 that is 127.0.0.1). */
  get hostIP(): string {
    return `127.0.${this.state.block}.1`;
  }

  get(key: string): string | undefined {
    return this.active.has(key) ? this.state.assigned[key] : undefined;
  }

  allocate(key: string): string {
    const existing = this.state.assigned[key];
    const inUse = new Set([...this.active].filter((k) => k !== key).map((k) => this.state.assigned[k]));
    for (const ip of this.busy()) inUse.add(ip);
    if (existing && !inUse.has(existing)) {
      this.active.add(key);
      return existing;
    }
    const everAssigned = new Set(Object.values(this.state.assigned));
    const last = this.prefix.startsWith('127.') ? LAST_HOST : LAST_HOST_NETNS;
    const candidates = Array.from({ length: last - FIRST_HOST + 1 }, (_, i) => `${this.prefix}${FIRST_HOST + i}`);
    // Prefer addresses no pod has had, so a deleted pod's address waits for its name to come back.
    const ip = candidates.find((c) => !everAssigned.has(c) && !inUse.has(c)) ?? candidates.find((c) => !inUse.has(c));
    if (!ip) throw new Error(`pod address block ${this.prefix}0/24 is exhausted`);
    for (const [k, v] of Object.entries(this.state.assigned)) if (v === ip && k !== key) delete this.state.assigned[k];
    this.state.assigned[key] = ip;
    this.active.add(key);
    this.save();
    return ip;
  }

  /** The pod is gone: its address may be reused (it stays reserved for the same name while others are free). */
  release(key: string): void {
    this.active.delete(key);
  }

  /** Gives the block back (runner stop). */
  close(): void {
    if (this.released) return;
    this.released = true;
    try {
      const holder = JSON.parse(fs.readFileSync(this.lockFile, 'utf8'));
      if (holder.pid === process.pid) fs.rmSync(this.lockFile, { force: true });
    } catch {
      /* already gone */
    }
  }

  private save(): void {
    fs.writeFileSync(this.file, JSON.stringify(this.state, null, 2));
  }
}
