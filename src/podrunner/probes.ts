// Container probes against the pod IP, as the kubelet runs them: httpGet (HTTPS without certificate
// verification, 200–399 is success), tcpSocket (a connection is success), exec (exit 0 is success).
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { probeHost } from './rewrite';

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

export type ExecFn = (command: string[], timeoutMs: number) => Promise<{ code: number; output: string }>;

function resolvePort(port: number | string | undefined, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (port && /^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`probe port "${port}" is not a container port of ${container.name}`);
  return named.containerPort;
}

function httpProbe(probe: NonNullable<V1Probe['httpGet']>, host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const scheme = (probe.scheme ?? 'HTTP').toUpperCase();
  const mod = scheme === 'HTTPS' ? https : http;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/kokpit', Accept: '*/*' };
  for (const h of probe.httpHeaders ?? []) headers[h.name] = h.value;
  const pathPart = probe.path ? (probe.path.startsWith('/') ? probe.path : `/${probe.path}`) : '/';
  return new Promise((resolve) => {
    const req = mod.request(
      { host, port, path: pathPart, method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false, agent: false },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve({ ok: code >= 200 && code < 400, message: `HTTP probe ${scheme} ${host}:${port}${pathPart}: ${code}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', (e) => resolve({ ok: false, message: `HTTP probe ${scheme} ${host}:${port}${pathPart}: ${e.message}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean, message: string) => {
      sock.destroy();
      resolve({ ok, message });
    };
    sock.setTimeout(timeoutMs, () => done(false, `TCP probe ${host}:${port}: timeout`));
    sock.on('connect', () => done(true, `TCP probe ${host}:${port}: connected`));
    sock.on('error', (e) => done(false, `TCP probe ${host}:${port}: ${e.message}`));
  });
}

export async function runProbe(probe: V1Probe, container: V1Container, podIP: string, exec: ExecFn): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) {
      const port = resolvePort(probe.httpGet.port as number | string, container);
      return await httpProbe(probe.httpGet, probeHost(probe.httpGet.host, podIP), port, timeoutMs);
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port as number | string, container);
      return await tcpProbe(probeHost(probe.tcpSocket.host, podIP), port, timeoutMs);
    }
    if (probe.exec) {
      const r = await exec(probe.exec.command ?? [], timeoutMs);
      return { ok: r.code === 0, message: `exec probe exit ${r.code}: ${r.output.trim().slice(-300)}` };
    }
    return { ok: false, message: 'grpc probes are not supported by the process runner' };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

export type ProbeKind = 'startup' | 'readiness' | 'liveness';

/**
 * Runs one probe periodically and reports when its verdict changes (after successThreshold successes
 * or failureThreshold failures in a row, from an initial verdict of "failing").
 */
export class ProbeWorker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  verdict: boolean | undefined;
  lastMessage = '';

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: V1Probe,
    private readonly check: () => Promise<ProbeOutcome>,
    private readonly onVerdict: (ok: boolean, message: string) => void,
  ) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const outcome = await this.check();
    if (this.stopped) return;
    this.lastMessage = outcome.message;
    if (outcome.ok) {
      this.failures = 0;
      this.successes++;
      if (this.verdict !== true && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.verdict = true;
        this.onVerdict(true, outcome.message);
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.verdict !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.verdict = false;
        this.onVerdict(false, outcome.message);
      }
    }
    // A passed startup probe is done; the others keep going.
    if (this.kind === 'startup' && this.verdict === true) return;
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
