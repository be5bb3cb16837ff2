// One pod run as local processes: sandbox (pod IP, directory, hosts file, volumes), init containers in
// order, then the containers with their probes, restarts with the kubelet's backoff, status reports,
// and graceful termination. Each sync reads the latest pod and the processes' state (level-triggered).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError, containerEnv, type EnvLookup, type NodeCapacity } from './env';
import { ContainerLogRun } from './container-logs';
import { expandVars } from './expand';
import { resolveCommand, resolveImage, type BinaryResolver, type ImageFamily } from './images';
import { writeInClusterKubeconfig } from './in-cluster';
import type { BinaryProvider } from '../binaries/provider';
import { isConflict, isNotFound } from '../kube';
import { runProbe, ProbeWorker, type ExecFn } from './probes';
import {
  exitCodeOf,
  inNetworkNamespace,
  isolatedCommand,
  type Exit,
  type IsolationMode,
  type ManagedProcess,
  type ProcessTable,
} from './processes';
import { fileSize, logTailMessage } from './termination';
import { rewriteValue, type MountMapping } from './rewrite';
import { computePodStatus, type Condition, type ContainerStateView, type ContainerView } from './status';
import { VolumeManager, VolumeNotReady, type VolumeLookup } from './volumes';

export interface PodContext {
  core: CoreV1Api;
  nodeName: string;
  hostIP: string;
  stateDir: string;
  nodeRoot: string;
  provisionedRoot: string;
  resolver: BinaryResolver;
  /** Builds a missing image binary on demand (the pull); optional. */
  binaries?: BinaryProvider;
  isolation: IsolationMode;
  /**
   * The netns pod network (pod-network.ts): a network namespace of the pod's own with its address, which every
   * container of a pod but a hostNetwork one enters; resolves with its path.
   */
  podNamespace?: (key: string, ip: string) => Promise<string>;
  processes: ProcessTable;
  lookup: EnvLookup & VolumeLookup;
  node: NodeCapacity;
  restartBackoff: { initialMs: number; maxMs: number };
  /** Environment every container starts with (KUBERNETES_SERVICE_HOST/PORT). */
  baseEnv: Record<string, string>;
  allocateIP(key: string): string;
  releaseIP(key: string): void;
  /** Writes the pod's hosts file (called before the first container starts). */
  writeHosts(worker: PodWorker): void;
  /** A container's readiness changed: Service names may now resolve differently. */
  onReadinessChanged(): void;
  log(msg: string): void;
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const VOLUME_RESYNC_MS = 30_000;
// Volumes not ready yet are looked at again every 300 ms (the kubelet's podAttachAndMountRetryInterval) for the
// first 5 s, then every 2 s: a claim bound right after its pod was created (a new etcd member) is seen at once,
// not 2 s later (which was most of a 3-member etcd cluster's start), and a Secret missing for good costs little.
const VOLUME_WAIT_RETRY_MS = 300;
const VOLUME_WAIT_FAST_FOR_MS = 5000;
const VOLUME_WAIT_SLOW_RETRY_MS = 2000;
/** A container that ran this long without crashing gets its backoff reset (kubelet: 10 min; shorter here). */
const BACKOFF_RESET_MS = 120_000;

interface ContainerRun {
  spec: V1Container;
  init: boolean;
  proc?: ManagedProcess;
  state: ContainerStateView;
  lastState?: ContainerStateView;
  /** Number of starts so far; restartCount is starts - 1. */
  starts: number;
  ready: boolean;
  started: boolean;
  probes: ProbeWorker[];
  nextStartAt: number;
  backoffMs: number;
  willRestart: boolean;
  /** Why it cannot start (unknown image, missing config): retried on the next sync. */
  blocked?: { reason: string; message: string };
  /** Rewrites already logged for this container (logged once, not on every restart). */
  loggedRewrites: boolean;
  /** Size of its log file when this run started: its termination message reads only what this run wrote. */
  logStart?: number;
  /** Its last two runs' logs (the kubelet serves the current and the previous one). */
  logRuns: ContainerLogRun[];
}

export class PodWorker {
  pod: V1Pod;
  readonly key: string;
  podIP: string | undefined;
  /** The pod's own network namespace (the netns pod network), entered by its containers and exec probes. */
  private netnsPath: string | undefined;
  readonly podDir: string;
  private volumes: VolumeManager | undefined;
  private hostPaths = new Map<string, string>();
  private readonly runs = new Map<string, ContainerRun>();
  private readonly startTime = now();
  private setupError: string | undefined;
  /** When setup first found a volume not ready (undefined once they are). */
  private setupWaitingSince: number | undefined;
  private lastVolumeSync = 0;
  private prevConditions: Condition[] | undefined;
  private lastPushed = '';
  private syncing = false;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private terminating: Promise<void> | undefined;
  finished = false;

  constructor(
    pod: V1Pod,
    private readonly ctx: PodContext,
  ) {
    this.pod = pod;
    this.key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    this.podDir = path.join(ctx.stateDir, 'pods', pod.metadata!.uid!);
    for (const c of pod.spec?.initContainers ?? []) this.runs.set(`init:${c.name}`, this.newRun(c, true));
    for (const c of pod.spec?.containers ?? []) this.runs.set(c.name, this.newRun(c, false));
  }

  get uid(): string {
    return this.pod.metadata!.uid!;
  }

  /** Container logs live outside the pod directory, so they outlast the pod (for post-mortems). */
  get logDir(): string {
    return path.join(this.ctx.stateDir, 'logs', `${this.pod.metadata!.namespace}_${this.pod.metadata!.name}_${this.uid}`);
  }

  logFile(container: string): string {
    return path.join(this.logDir, `${container}.log`);
  }

  get hostsFile(): string {
    return path.join(this.podDir, 'etc-hosts');
  }

  /** All containers ready (what a Service's endpoints need). */
  get ready(): boolean {
    const cs = this.containers();
    return cs.length > 0 && cs.every((c) => c.ready) && this.initDone();
  }

  private newRun(spec: V1Container, init: boolean): ContainerRun {
    return {
      spec,
      init,
      state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } },
      starts: 0,
      ready: false,
      started: false,
      probes: [],
      nextStartAt: 0,
      backoffMs: this.ctx.restartBackoff.initialMs,
      willRestart: true,
      loggedRewrites: false,
      logRuns: [],
    };
  }

  private containers(): ContainerRun[] {
    return [...this.runs.values()].filter((r) => !r.init);
  }

  private inits(): ContainerRun[] {
    return [...this.runs.values()].filter((r) => r.init);
  }

  private initDone(): boolean {
    return this.inits().every((r) => r.state.terminated?.exitCode === 0);
  }

  private get policy(): string {
    return this.pod.spec?.restartPolicy ?? 'Always';
  }

  private log(msg: string): void {
    this.ctx.log(`pod ${this.key}: ${msg}`);
  }

  update(pod: V1Pod): void {
    this.pod = pod;
    this.kick();
  }

  /** Schedules a sync now (coalesced). */
  kick(delayMs = 0): void {
    if (this.finished) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sync(), delayMs);
  }

  private async sync(): Promise<void> {
    if (this.syncing) {
      this.dirty = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.dirty = false;
        await this.syncOnce();
      } while (this.dirty && !this.finished);
    } catch (e) {
      this.log(`sync failed: ${e instanceof Error ? e.message : String(e)}`);
      this.kick(2000);
    } finally {
      this.syncing = false;
    }
  }

  private async syncOnce(): Promise<void> {
    if (this.finished) return;
    if (this.pod.metadata?.deletionTimestamp) {
      const grace = this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
      await this.terminate(grace * 1000, true);
      return;
    }
    let nextWake = VOLUME_RESYNC_MS;
    if (!(await this.setup())) {
      await this.pushStatus();
      const waited = Date.now() - (this.setupWaitingSince ??= Date.now());
      this.kick(waited < VOLUME_WAIT_FAST_FOR_MS ? VOLUME_WAIT_RETRY_MS : VOLUME_WAIT_SLOW_RETRY_MS);
      return;
    }
    const t = Date.now();
    let blockedByInit = false;
    for (const run of this.inits()) {
      if (run.state.terminated?.exitCode === 0) continue;
      blockedByInit = true;
      if (!run.proc && run.willRestart) {
        if (t >= run.nextStartAt) await this.start(run);
        else nextWake = Math.min(nextWake, run.nextStartAt - t);
      }
      break; // one init container at a time, in order
    }
    if (!blockedByInit) {
      for (const run of this.containers()) {
        if (run.proc || !run.willRestart) continue;
        if (t >= run.nextStartAt) await this.start(run);
        else nextWake = Math.min(nextWake, run.nextStartAt - t);
        if (run.blocked) nextWake = Math.min(nextWake, 5000);
      }
    }
    await this.pushStatus();
    this.kick(Math.max(50, nextWake));
  }

  /** Pod IP, directories, hosts file and volumes; false while something is missing (retried). */
  private async setup(): Promise<boolean> {
    if (!this.podIP) {
      // hostNetwork pods share the node's address, as on a real node (their ports can clash).
      const ip = this.pod.spec?.hostNetwork ? this.ctx.hostIP : this.ctx.allocateIP(this.key);
      // First the pod's namespace: when that fails the pod has no IP yet, and the next sync tries again.
      if (!this.pod.spec?.hostNetwork && this.ctx.podNamespace) this.netnsPath = await this.ctx.podNamespace(this.key, ip);
      this.podIP = ip;
      fs.mkdirSync(this.podDir, { recursive: true, mode: 0o700 });
      fs.mkdirSync(this.logDir, { recursive: true, mode: 0o700 });
      this.log(`pod IP ${this.podIP}, directory ${this.podDir}`);
      this.volumes = new VolumeManager({
        podDir: this.podDir,
        nodeRoot: this.ctx.nodeRoot,
        provisionedRoot: this.ctx.provisionedRoot,
        addresses: { podIP: this.podIP, hostIP: this.ctx.hostIP },
        lookup: this.ctx.lookup,
        log: (m) => this.log(m),
      });
      this.ctx.writeHosts(this);
    }
    if (this.setupError === undefined && Date.now() - this.lastVolumeSync < VOLUME_RESYNC_MS && this.lastVolumeSync > 0) return true;
    try {
      this.hostPaths = await this.volumes!.materialize(this.pod);
      this.lastVolumeSync = Date.now();
      if (this.setupError) this.log('volumes ready');
      this.setupError = undefined;
      this.setupWaitingSince = undefined;
      return true;
    } catch (e) {
      if (!(e instanceof VolumeNotReady) && !(e instanceof ContainerConfigError)) throw e;
      if (this.setupError !== e.message) this.log(`waiting for volumes: ${e.message}`);
      this.setupError = e.message;
      // Volumes already set up keep working for running containers (a Secret briefly gone, say).
      return this.lastVolumeSync > 0;
    }
  }

  private mounts(c: V1Container): MountMapping[] {
    const out: MountMapping[] = [];
    for (const m of c.volumeMounts ?? []) {
      const base = this.hostPaths.get(m.name);
      if (!base) continue;
      out.push({ mountPath: m.mountPath, hostPath: m.subPath ? path.join(base, m.subPath) : base });
    }
    return out;
  }

  private async containerEnvironment(
    c: V1Container,
    image: ImageFamily,
    binaries: Record<string, string>,
  ): Promise<Record<string, string>> {
    const vars = await containerEnv(this.pod, c, { podIP: this.podIP!, hostIP: this.ctx.hostIP }, this.ctx.lookup, this.ctx.node);
    const binDirs = [...new Set(Object.values(binaries).map((b) => path.dirname(b)))];
    const env: Record<string, string> = {
      PATH: [...binDirs, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'].join(':'),
      HOSTNAME: this.pod.spec?.hostname ?? this.pod.metadata!.name!,
      HOME: path.join(this.podDir, 'home', c.name),
      ...image.env,
      ...this.ctx.baseEnv,
    };
    fs.mkdirSync(env.HOME, { recursive: true, mode: 0o700 });
    const kubeconfig = writeInClusterKubeconfig(this.podDir, c.name, this.mounts(c), {
      host: env.KUBERNETES_SERVICE_HOST,
      port: env.KUBERNETES_SERVICE_PORT,
      namespace: this.pod.metadata!.namespace!,
      serviceAccount: this.pod.spec?.serviceAccountName ?? 'default',
    });
    if (kubeconfig) env.KUBECONFIG = kubeconfig;
    for (const [k, v] of vars) env[k] = v;
    return env;
  }

  private block(run: ContainerRun, reason: string, message: string): void {
    if (run.blocked?.message !== message) this.log(`container ${run.spec.name}: ${reason}: ${message}`);
    run.blocked = { reason, message };
    run.state = { waiting: { reason, message } };
  }

  /**
   * The image's binary is not built: build it (a pull). While it builds the container waits in
   * ContainerCreating (as while kubelet pulls); a build that failed or cannot happen is ErrImagePull with why.
   */
  private pull(image: string, want: { component: string; version: string }): { reason: string; message: string } {
    const st = this.ctx.binaries!.request(want.component, want.version, (e) =>
      this.log(
        `image ${image}: ${e ? (e instanceof Error ? e.message.split('\n')[0] : String(e)) : `${want.component} ${want.version} built`}`,
      ),
    );
    if (st.state === 'present') return { reason: 'ContainerCreating', message: `image ${image}: built, starting` };
    if (st.state === 'building' || st.state === 'missing')
      return { reason: 'ContainerCreating', message: `pulling image ${image}: ${st.message}` };
    return { reason: 'ErrImagePull', message: `image ${image}: ${st.message}` };
  }

  private async start(run: ContainerRun): Promise<void> {
    const c = run.spec;
    const image = resolveImage(c.image ?? '', this.ctx.resolver);
    if (!image.ok) {
      const pull = image.missing && this.ctx.binaries ? this.pull(c.image ?? '', image.missing) : undefined;
      if (pull) return this.block(run, pull.reason, pull.message);
      return this.block(run, 'ErrImagePull', image.message);
    }
    const exe = resolveCommand(c.command?.[0], image.binaries, image.family.component);
    if (!exe) {
      return this.block(
        run,
        'RunContainerError',
        `command ${c.command?.[0]} is not provided by image ${c.image} (it provides ${Object.keys(image.binaries).join(', ')}, plus sh)`,
      );
    }
    let env: Record<string, string>;
    try {
      env = await this.containerEnvironment(c, image.family, image.binaries);
    } catch (e) {
      if (e instanceof ContainerConfigError) return this.block(run, 'CreateContainerConfigError', e.message);
      throw e;
    }
    const vars = new Map(Object.entries(env));
    const mounts = this.mounts(c);
    const changes: string[] = [];
    const rewrite = (s: string, where: string) => {
      const r = rewriteValue(s, { mounts, podIP: this.podIP! });
      for (const ch of r.changes) changes.push(`${where}: ${ch}`);
      return r.value;
    };
    const rawArgs = [...(c.command?.slice(1) ?? []), ...(c.args ?? [])];
    const args = rawArgs.map((a, i) => rewrite(expandVars(a, vars), `arg ${i + 1}`));
    const userEnvNames = new Set([...(c.env ?? []).map((e) => e.name)]);
    for (const [k, v] of Object.entries(env)) if (userEnvNames.has(k)) env[k] = rewrite(v, `env ${k}`);
    let cwd = path.join(this.podDir, 'home', c.name);
    if (c.workingDir) {
      const mapped = rewriteValue(c.workingDir, { mounts, podIP: '' });
      cwd = mapped.changes.length ? mapped.value : path.join(this.ctx.nodeRoot, path.resolve('/', c.workingDir));
      if (cwd !== c.workingDir) changes.push(`workingDir: ${c.workingDir} → ${cwd}`);
      fs.mkdirSync(cwd, { recursive: true });
    }
    if (!run.loggedRewrites) {
      run.loggedRewrites = true;
      this.log(`container ${c.name}: ${exe}${changes.length ? `; rewrites: ${changes.join('; ')}` : '; no rewrites'}`);
    }
    // Files a container would create in its image (its own writable layer) land in its home dir.
    fs.mkdirSync(cwd, { recursive: true });
    const cmd = this.command(exe, args);
    run.blocked = undefined;
    let proc: ManagedProcess;
    run.logStart = fileSize(this.logFile(c.name));
    try {
      proc = this.ctx.processes.spawn({
        file: cmd.file,
        args: cmd.args,
        env,
        cwd,
        logFile: this.logFile(c.name),
        label: `${this.key}/${c.name}`,
      });
    } catch (e) {
      return this.block(run, 'RunContainerError', e instanceof Error ? e.message : String(e));
    }
    run.proc = proc;
    run.logRuns = [...run.logRuns.slice(-1), new ContainerLogRun(this.logFile(c.name), run.logStart)];
    run.starts++;
    run.ready = false;
    run.started = false;
    run.state = { running: { startedAt: now() } };
    this.log(`container ${c.name} started (pid ${proc.pid}, start #${run.starts})`);
    void proc.exited.then((exit) => this.onExit(run, proc, exit));
    if (!run.init) this.startProbes(run, env);
  }

  /** A container's (or exec probe's) command line: its own /etc/hosts, and the pod network's namespace unless hostNetwork. */
  private command(exe: string, args: readonly string[]): { file: string; args: string[] } {
    const cmd = isolatedCommand(this.ctx.isolation, this.hostsFile, exe, args);
    return this.pod.spec?.hostNetwork ? cmd : inNetworkNamespace(this.netnsPath, cmd);
  }

  private execFn(run: ContainerRun, env: Record<string, string>): ExecFn {
    return async (command, timeoutMs) => {
      const image = resolveImage(run.spec.image ?? '', this.ctx.resolver);
      const binaries = image.ok ? image.binaries : {};
      const exe = resolveCommand(command[0], binaries, '') ?? (command[0] && path.isAbsolute(command[0]) ? command[0] : undefined);
      if (!exe) return { code: 127, output: `exec probe: ${command[0]} not found in image ${run.spec.image}` };
      const cmd = this.command(exe, command.slice(1));
      const p = this.ctx.processes.spawn({
        file: cmd.file,
        args: cmd.args,
        env,
        cwd: path.join(this.podDir, 'home', run.spec.name),
        capture: true,
        label: `${this.key}/${run.spec.name}/probe`,
      });
      const timer = setTimeout(() => p.signal('SIGKILL'), timeoutMs);
      const exit = await p.exited;
      clearTimeout(timer);
      return { code: exitCodeOf(exit), output: p.output };
    };
  }

  private startProbes(run: ContainerRun, env: Record<string, string>): void {
    const c = run.spec;
    const exec = this.execFn(run, env);
    const check = (probe: NonNullable<V1Container['readinessProbe']>) => () => runProbe(probe, c, this.podIP!, exec);
    const proc = run.proc!;
    const current = () => run.proc === proc && proc.running;
    const readiness = c.readinessProbe
      ? new ProbeWorker('readiness', c.readinessProbe, check(c.readinessProbe), (ok, msg) => {
          if (!current()) return;
          this.log(`container ${c.name} ${ok ? 'ready' : 'not ready'}: ${msg}`);
          this.setReady(run, ok);
        })
      : undefined;
    const liveness = c.livenessProbe
      ? new ProbeWorker('liveness', c.livenessProbe, check(c.livenessProbe), (ok, msg) => {
          if (!current() || ok) return;
          this.log(`container ${c.name} failed liveness probe, restarting: ${msg}`);
          void proc.terminate((this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
        })
      : undefined;
    const afterStartup = () => {
      run.started = true;
      if (!readiness) this.setReady(run, true);
      for (const w of [readiness, liveness]) {
        if (!w) continue;
        run.probes.push(w);
        w.start();
      }
      this.kick();
    };
    if (c.startupProbe) {
      const startup = new ProbeWorker('startup', c.startupProbe, check(c.startupProbe), (ok, msg) => {
        if (!current()) return;
        if (ok) return afterStartup();
        this.log(`container ${c.name} failed startup probe, restarting: ${msg}`);
        void proc.terminate((this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
      });
      run.probes.push(startup);
      startup.start();
    } else {
      afterStartup();
    }
  }

  private setReady(run: ContainerRun, ready: boolean): void {
    if (run.ready === ready) return;
    run.ready = ready;
    this.ctx.onReadinessChanged();
    this.kick();
  }

  private onExit(run: ContainerRun, proc: ManagedProcess, exit: Exit): void {
    if (run.proc !== proc) return;
    for (const p of run.probes) p.stop();
    run.probes = [];
    run.proc = undefined;
    run.logRuns.at(-1)?.finish();
    const wasReady = run.ready;
    run.ready = false;
    run.started = false;
    const code = exitCodeOf(exit);
    const terminated: ContainerStateView = {
      terminated: {
        exitCode: code,
        reason: code === 0 ? 'Completed' : 'Error',
        ...(exit.signal ? { signal: code - 128 } : {}),
        startedAt: run.state.running?.startedAt,
        finishedAt: now(),
        containerID: `kokpit-process://${proc.pid}`,
      },
    };
    if (code !== 0 && run.spec.terminationMessagePolicy === 'FallbackToLogsOnError') {
      const message = logTailMessage(this.logFile(run.spec.name), run.logStart ?? 0);
      if (message) terminated.terminated!.message = message;
    }
    const ranMs = exit.at - proc.startedAt;
    const deleting = !!this.pod.metadata?.deletionTimestamp || !!this.terminating;
    const restart = !deleting && (this.policy === 'Always' && !run.init ? true : this.policy === 'Never' ? false : code !== 0);
    this.log(
      `container ${run.spec.name} (pid ${proc.pid}) exited with ${code}${exit.signal ? ` (${exit.signal})` : ''} after ${ranMs} ` +
        `ms${restart ? '' : ', not restarting'}`,
    );
    if (!restart) {
      run.willRestart = false;
      run.state = terminated;
    } else {
      if (ranMs > BACKOFF_RESET_MS) run.backoffMs = this.ctx.restartBackoff.initialMs;
      const delay = run.backoffMs;
      run.backoffMs = Math.min(run.backoffMs * 2, this.ctx.restartBackoff.maxMs);
      run.nextStartAt = Date.now() + delay;
      run.lastState = terminated;
      run.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message:
            `back-off ${Math.round(delay / 1000)}s restarting failed container=${run.spec.name} ` +
            `pod=${this.pod.metadata!.name}_${this.pod.metadata!.namespace}(${this.uid})`,
        },
      };
    }
    if (wasReady) this.ctx.onReadinessChanged();
    this.kick();
  }

  private view(run: ContainerRun): ContainerView {
    return {
      name: run.spec.name,
      image: run.spec.image ?? '',
      state: run.state,
      lastState: run.lastState,
      restartCount: Math.max(0, run.starts - 1),
      ready: run.ready,
      started: run.started,
      containerID: run.proc ? `kokpit-process://${run.proc.pid}` : undefined,
      willRestart: run.willRestart,
    };
  }

  /** The status this worker would report (also what tests and callers can inspect). */
  status() {
    return computePodStatus(
      {
        restartPolicy: this.policy,
        podIP: this.podIP,
        hostIP: this.ctx.hostIP,
        startTime: this.startTime,
        init: this.inits().map((r) => this.view(r)),
        containers: this.containers().map((r) => this.view(r)),
        setupError: this.setupError,
      },
      this.prevConditions,
    );
  }

  private async pushStatus(): Promise<void> {
    const status = this.status();
    const body = JSON.stringify(status);
    if (body === this.lastPushed) return;
    const ns = this.pod.metadata!.namespace;
    try {
      // metadata.uid in the patch: a successor pod of the same name is never given this pod's status.
      const patch = { metadata: { uid: this.uid }, status };
      await this.ctx.core.patchNamespacedPodStatus({ name: this.pod.metadata!.name!, namespace: ns!, body: patch }, MERGE_PATCH);
      this.lastPushed = body;
      this.prevConditions = status.conditions as Condition[];
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }

  /**
   * The log run `kubectl logs [--previous]` reads, as the kubelet picks it: the running container, else the last one
   * that ran; previous is the one its lastState describes (in CrashLoopBackOff that is the last one too).
   */
  logRun(container: string, previous: boolean): ContainerLogRun | { status: number; message: string } {
    const run = this.runs.get(container) ?? this.runs.get(`init:${container}`);
    const pod = this.pod.metadata!.name;
    if (!run) return { status: 404, message: `container ${JSON.stringify(container)} not found in pod ${JSON.stringify(pod)}` };
    const [last, before] = [run.logRuns.at(-1), run.logRuns.at(-2)];
    if (previous) {
      const prev = run.lastState && (run.state.waiting ? last : before);
      if (prev) return prev;
      return { status: 400, message: `previous terminated container ${JSON.stringify(container)} in pod ${JSON.stringify(pod)} not found` };
    }
    if (last) return last;
    const reason = run.state.waiting?.reason ?? 'ContainerCreating';
    return { status: 400, message: `container ${JSON.stringify(container)} in pod ${JSON.stringify(pod)} is waiting to start: ${reason}` };
  }

  /** Pids of the pod's running container processes. */
  pids(): number[] {
    return [...this.runs.values()].flatMap((r) => (r.proc ? [r.proc.pid] : []));
  }

  /**
   * Stops every container (SIGTERM, SIGKILL after `graceMs`), releases the pod IP and removes the
   * pod's directory. With `finalize`, the pod object is then deleted for good (the kubelet's last step).
   */
  terminate(graceMs: number, finalize: boolean): Promise<void> {
    this.terminating ??= (async () => {
      clearTimeout(this.timer);
      const running = [...this.runs.values()].filter((r) => r.proc);
      if (running.length) this.log(`stopping ${running.length} container(s), grace ${graceMs} ms`);
      for (const r of this.runs.values()) {
        for (const p of r.probes) p.stop();
        r.willRestart = false;
      }
      await Promise.all(running.map((r) => r.proc!.terminate(graceMs)));
      if (finalize) {
        await this.pushStatus().catch(() => {});
        const ns = this.pod.metadata!.namespace;
        try {
          const body = { gracePeriodSeconds: 0, preconditions: { uid: this.uid } };
          await this.ctx.core.deleteNamespacedPod({ name: this.pod.metadata!.name!, namespace: ns!, body });
        } catch (e) {
          if (!isNotFound(e) && !isConflict(e)) this.log(`final delete failed: ${(e as Error).message}`);
        }
      }
      this.finished = true;
      if (this.podIP && !this.pod.spec?.hostNetwork) this.ctx.releaseIP(this.key);
      fs.rmSync(this.podDir, { recursive: true, force: true });
      this.log('stopped and cleaned up');
    })();
    return this.terminating;
  }
}
