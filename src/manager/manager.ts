// The manager: every kokpit reconciler in one process, on shared informers, behind one leader lease.
// VS Code and a terminal may both start a manager against the same meta cluster; the Lease makes sure
// only one reconciles, and the other waits (and says who holds the lease).
import type { KubeConfig } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { LeaderElector } from '../controller/leader-election';
import { collectDefaultMetrics } from 'prom-client';
import { ControllerMetrics } from '../controller/metrics';
import { kokpitUserAgent, observeRequests, withUserAgent } from '../kube';
import { apiWritesObserver } from './api-writes';
import { Operators, type OperatorDefinition } from '../controller/operator';
import { silentLogger, type Logger } from '../controller/reconciler';
import { serveEndpoints, type Endpoints } from './endpoints';
import { apiServerReviews, metricsAuthorizer } from './metrics-auth';
import { metricsServingCert } from './metrics-cert';
import { registerFleetMetrics } from './fleet-metrics';

export type { OperatorContext, OperatorDefinition } from '../controller/operator';

export interface ManagerOptions {
  kc: KubeConfig;
  /** Run on one set of shared informers: a type several operators watch is watched once. */
  operators: OperatorDefinition[];
  log?: Logger;
  /** Leader election; omit to reconcile without a lease (tests of a single reconciler). */
  leaderElection?: { namespace: string; name?: string; identity?: string; leaseDurationSec?: number; onWaiting?: (holder: string) => void };
  /** Serve `/metrics` here (`host:port`; port 0 = any free port); undefined = not served. */
  metricsAddress?: string;
  /**
   * `/metrics` over HTTPS for bearer tokens allowed to `get /metrics` (TokenReview + SubjectAccessReview), as
   * kubebuilder's `--metrics-secure`; the certificate from `certDir` (tls.crt, tls.key) or a self-signed one.
   */
  metricsSecure?: { certDir?: string };
  /** Serve `/healthz` and `/readyz` here. */
  probeAddress?: string;
  /** Add the fleet gauges (kokpit_*; they read the BusinessCluster, EtcdCluster and Machine caches). Default true. */
  fleetMetrics?: boolean;
}

export type ManagerState = 'idle' | 'waiting-for-lease' | 'running' | 'stopping' | 'stopped' | 'lost-lease';

export class Manager {
  private readonly log: Logger;
  /** The operators and the process's shared informers, started once the lease is held. */
  readonly operators: Operators;
  private elector: LeaderElector | undefined;
  private stateValue: ManagerState = 'idle';
  private readonly done: Promise<ManagerState>;
  private resolveDone!: (s: ManagerState) => void;
  readonly identity: string;
  /** controller-runtime's metrics and the fleet gauges, in this manager's own registry. */
  readonly metrics = new ControllerMetrics();
  private endpoints: Endpoints | undefined;
  private synced = false;
  /** The caller's KubeConfig, its requests counted in kokpit_api_writes_total (and by every copy made of it). */
  private readonly kc: KubeConfig;

  constructor(private readonly opts: ManagerOptions) {
    this.log = opts.log ?? silentLogger;
    this.identity = opts.leaderElection?.identity ?? `${hostname()}-${process.pid}`;
    this.done = new Promise((r) => (this.resolveDone = r));
    this.kc = observeRequests(opts.kc, apiWritesObserver(this.metrics.registry), kokpitUserAgent('manager'));
    this.operators = new Operators(this.kc, opts.operators, this.log, this.metrics);
    if (opts.fleetMetrics !== false) registerFleetMetrics(this.metrics.registry, this.operators.informers);
    // prom-client's process and Node.js runtime metrics (process_resident_memory_bytes, nodejs_heap_size_used_bytes, …),
    // as controller-runtime exposes the Go process's: what a fleet costs is read from here (npm run bench -- fleet).
    collectDefaultMetrics({ register: this.metrics.registry });
  }

  /** Where `/metrics` and the probes are served, once started. */
  get metricsURL(): string | undefined {
    return this.endpoints?.metricsURL;
  }

  get probeURL(): string | undefined {
    return this.endpoints?.probeURL;
  }

  get state(): ManagerState {
    return this.stateValue;
  }

  /** Resolves when the manager stops for good (stopped, or lost its lease). */
  get finished(): Promise<ManagerState> {
    return this.done;
  }

  /** Acquires the lease (if configured), syncs the shared caches, then starts every controller. */
  async start(): Promise<void> {
    // Served before the lease: a standby replica is alive and ready (it only waits), and says so.
    this.endpoints = await serveEndpoints({
      metricsAddress: this.opts.metricsAddress,
      probeAddress: this.opts.probeAddress,
      metrics: () => this.metrics.text(),
      secureMetrics: this.opts.metricsSecure && {
        ...(await metricsServingCert(this.opts.metricsSecure.certDir)),
        authorize: metricsAuthorizer(apiServerReviews(withUserAgent(this.kc, kokpitUserAgent('manager')))),
      },
      ready: () => this.stateValue === 'waiting-for-lease' || (this.stateValue === 'running' && this.synced),
    });
    if (this.endpoints.metricsURL) this.log.info(`serving metrics at ${this.endpoints.metricsURL}/metrics`);
    if (this.endpoints.probeURL) this.log.info(`serving probes at ${this.endpoints.probeURL}/healthz and /readyz`);
    const le = this.opts.leaderElection;
    const leaseName = le?.name ?? 'kokpit-manager';
    if (le) {
      this.metrics.leaderStatus.set({ name: leaseName }, 0);
      this.stateValue = 'waiting-for-lease';
      // The lease's renewals identify as the manager in the API server's audit log and metrics.
      this.elector = new LeaderElector(withUserAgent(this.kc, kokpitUserAgent('manager')), {
        namespace: le.namespace,
        name: le.name ?? 'kokpit-manager',
        identity: this.identity,
        leaseDurationSec: le.leaseDurationSec ?? 15,
        log: this.log,
        onWaiting: le.onWaiting,
      });
      await this.elector.acquire();
      // Like controller-runtime: a manager that lost its lease stops rather than fight the new leader.
      this.metrics.leaderStatus.set({ name: leaseName }, 1);
      this.elector.onLost(() => {
        this.metrics.leaderStatus.set({ name: leaseName }, 0);
        this.log.error('lost the leader lease; stopping reconcilers');
        void this.shutdown('lost-lease');
      });
    }
    await this.operators.start();
    this.synced = true;
    this.stateValue = 'running';
    this.log.info(`manager running ${this.operators.names.join(', ') || 'no operators'} as ${this.identity}`);
  }

  /** Finishes passes in flight (or aborts them after `graceMs`), stops watches, releases the lease. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.shutdown('stopped', graceMs);
  }

  private async shutdown(final: ManagerState, graceMs = 10_000): Promise<void> {
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped' || this.stateValue === 'lost-lease')
      return this.done.then(() => {});
    this.stateValue = 'stopping';
    await this.operators.stop(graceMs);
    // Release only after every pass finished, so the next leader never overlaps a write of ours.
    if (final === 'stopped') await this.elector?.release();
    if (this.opts.leaderElection) this.metrics.leaderStatus.set({ name: this.opts.leaderElection.name ?? 'kokpit-manager' }, 0);
    await this.endpoints?.close();
    this.stateValue = final;
    this.resolveDone(final);
  }
}
