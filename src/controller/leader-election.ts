// Leader election on a coordination.k8s.io Lease, so only one kokpit manager reconciles a meta cluster
// at a time (VS Code and a terminal may both try). Optimistic concurrency on resourceVersion makes the
// take-over race safe: of two candidates replacing an expired lease, the apiserver accepts one.
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { briefError as brief, type Logger, silentLogger } from './reconciler';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSec?: number;
  renewEverySec?: number;
  log?: Logger;
  /** Called with the current holder while this candidate waits (so the UI can say who holds the lease). */
  onWaiting?: (holder: string) => void;
}

// Lease times are MicroTime (6 fractional digits). client-node's typed CoordinationV1Api serializes Date
// with milliseconds, which the apiserver rejects, so the lease is handled as a plain object with strings.
interface LeaseObject extends KubernetesObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function statusCode(e: unknown): number | undefined {
  const err = e as { code?: number; statusCode?: number };
  return err?.code ?? err?.statusCode;
}

export class LeaderElector {
  private readonly api: KubernetesObjectApi;
  private readonly duration: number;
  private readonly renewEvery: number;
  private readonly log: Logger;
  private stopped = false;
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private lostHandlers: Array<() => void> = [];

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.api = kc.makeApiClient(KubernetesObjectApi);
    this.duration = opts.leaseDurationSec ?? 15;
    this.renewEvery = opts.renewEverySec ?? Math.max(1, Math.floor(this.duration / 3));
    this.log = opts.log ?? silentLogger;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  onLost(handler: () => void): void {
    this.lostHandlers.push(handler);
  }

  /** Resolves once this candidate holds the lease (or rejects when stopped first). */
  async acquire(): Promise<void> {
    let lastHolder = '';
    while (!this.stopped) {
      const holder = await this.tryAcquireOrRenew().catch((e) => {
        this.log.warn(`lease ${this.opts.namespace}/${this.opts.name}: ${brief(e)}`);
        return '?';
      });
      if (holder === this.opts.identity) {
        this.leading = true;
        this.log.info(`became leader (lease ${this.opts.namespace}/${this.opts.name})`);
        this.scheduleRenew();
        return;
      }
      if (holder !== lastHolder) {
        lastHolder = holder;
        this.log.info(`waiting: lease ${this.opts.namespace}/${this.opts.name} is held by ${holder}`);
        this.opts.onWaiting?.(holder);
      }
      await new Promise((r) => setTimeout(r, this.renewEvery * 1000));
    }
    throw new Error('leader election stopped');
  }

  /** Stops renewing and, when leading, releases the lease so another candidate takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease.spec?.holderIdentity === this.opts.identity) {
        delete lease.spec.holderIdentity;
        delete lease.spec.renewTime;
        delete lease.spec.acquireTime;
        await this.api.replace(lease);
      }
    } catch (e) {
      this.log.warn(`releasing lease: ${brief(e)}`);
    }
  }

  private scheduleRenew(): void {
    this.timer = setTimeout(async () => {
      if (this.stopped) return;
      const deadline = Date.now() + this.duration * 1000;
      let holder = '';
      try {
        holder = await this.tryAcquireOrRenew();
      } catch (e) {
        this.log.warn(`renewing lease: ${brief(e)}`);
      }
      if (holder === this.opts.identity) return this.scheduleRenew();
      if (holder === '' && Date.now() < deadline) return this.scheduleRenew();
      this.leading = false;
      this.log.error(`lost the lease to ${holder || 'nobody (renewal failed)'}`);
      for (const h of this.lostHandlers) h();
    }, this.renewEvery * 1000);
    this.timer.unref?.();
  }

  private read(): Promise<LeaseObject> {
    return this.api.read<LeaseObject>({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.opts.name, namespace: this.opts.namespace },
    });
  }

  /** One attempt: returns the identity holding the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<string> {
    const now = new Date();
    const { name, namespace, identity } = this.opts;
    let lease: LeaseObject;
    try {
      lease = await this.read();
    } catch (e) {
      if (statusCode(e) !== 404) throw e;
      try {
        const t = microTime(now);
        await this.api.create({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: this.duration, acquireTime: t, renewTime: t, leaseTransitions: 0 },
        } as LeaseObject);
        return identity;
      } catch (ce) {
        if (statusCode(ce) === 409) return '?';
        throw ce;
      }
    }
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = !spec.holderIdentity || renewed + (spec.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
    if (spec.holderIdentity !== identity && !expired) return spec.holderIdentity!;
    const takingOver = spec.holderIdentity !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: this.duration,
      renewTime: microTime(now),
      acquireTime: takingOver ? microTime(now) : spec.acquireTime,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0),
    };
    try {
      // replace carries resourceVersion: a concurrent writer makes this a 409, never a lost update.
      await this.api.replace(lease);
      return identity;
    } catch (e) {
      // Someone else updated the lease between our read and write: they won this round.
      if (statusCode(e) === 409) return '?';
      throw e;
    }
  }
}
