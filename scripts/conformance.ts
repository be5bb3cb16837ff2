// `npm run test:conformance [-- --ci | --focus REGEX] [--cluster NAME …]`: upstream Kubernetes' conformance suite
// (e2e.test v1.33.13, --provider=skeleton) against a kokpit business cluster whose nodes are real kind machines
// (issue 20). Everything is built here with no registry: e2e.test and agnhost from Go modules (src/binaries), the
// test images from Debian's packages (hack/offline-images/build-images.sh --conformance), imported into each
// machine's containerd. Without --cluster it brings up what `npm run test:e2e` does (a kind meta cluster and the
// sample business cluster with two kind machines: `kokpit up --runtime kind --with-sample`) and tears it down.
// Everything goes to a run directory it prints: setup.log, up.log, e2e.log, report/junit_01.xml, summary.txt.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binDir, ensureBinaries } from '../src/binaries/build';
import { CONFORMANCE_VERSION, KIND_VERSION } from '../src/binaries/catalog';
import { KIND_CLUSTER_LABEL } from '../src/operators/machine/providers/kind';
import { MACHINE_NAMESPACE_LABEL } from '../src/operators/machine/names';
import { waitFor } from '../src/controlplane/wait';
import {
  USAGE,
  e2eArgs,
  explainFailure,
  flakedIn,
  parseConformanceArgs,
  summarizeJUnit,
  summaryLine,
  type ConformanceOptions,
} from './conformance-lib';

const REPO = path.resolve(__dirname, '..');
const KOKPIT = path.join(REPO, 'bin/kokpit.js');
/** The environment a run without --cluster brings up (its kind meta cluster's name) and its business cluster. */
const ENV_NAME = 'kokpit-conformance';
const SAMPLE = 'sample';
const KUBECTL = path.join(binDir(), 'kubectl', CONFORMANCE_VERSION, 'kubectl');
const E2E_TEST = path.join(binDir(), 'e2e.test', CONFORMANCE_VERSION, 'e2e.test');
const KIND_DIR = path.join(binDir(), 'kind', KIND_VERSION);
const IMAGES_TAR = path.join(process.env.KOKPIT_CACHE_DIR ?? path.join(os.homedir(), '.cache/kokpit'), 'images/saved/conformance.tar');
const KONNECTIVITY_TAR = path.join(path.dirname(IMAGES_TAR), 'konnectivity.tar');

const t0 = Date.now();
const say = (msg: string) => console.log(`[conformance +${Math.round((Date.now() - t0) / 1000)}s] ${msg}`);

/** Runs a command with its output appended to `log` (and echoed when `echo`); resolves with the exit code. */
function logged(cmd: string, args: string[], log: string, o: { env: NodeJS.ProcessEnv; echo?: boolean; cwd?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(log, { flags: 'a' });
    out.write(`\n# ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (d: Buffer) => {
        out.write(d);
        if (o.echo) process.stdout.write(d);
      });
    }
    child.on('error', reject);
    child.on('close', (code) => out.end(() => resolve(code ?? 1)));
  });
}

async function must(cmd: string, args: string[], log: string, o: { env: NodeJS.ProcessEnv; echo?: boolean }): Promise<void> {
  const code = await logged(cmd, args, log, o);
  if (code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code} (log: ${log})`);
}

function capture(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${path.basename(cmd)} ${args.join(' ')}: ${String(stderr || err.message).trim()}`)) : resolve(String(stdout)),
    ),
  );
}

/** Docker engine, the conformance images, e2e.test: each step idempotent and cached, like the e2e's setup. */
async function setup(runDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const log = path.join(runDir, 'setup.log');
  say(`setup: Docker engine, images (build-images.sh --conformance), manager image, e2e.test ${CONFORMANCE_VERSION} (log: ${log})`);
  await must('sh', [path.join(REPO, 'hack/offline-images/setup-engine.sh')], log, { env });
  await must('bash', [path.join(REPO, 'hack/offline-images/build-images.sh'), '--conformance'], log, { env });
  // `kokpit up --runtime kind` runs the manager in the meta cluster from this image: built from this checkout (the bundle
  // first), or the run tests whatever code the image last got (a --konnectivity run found an image without egress).
  await must('npm', ['run', '--silent', 'build'], log, { env });
  await must('bash', [path.join(REPO, 'hack/offline-images/manager-image.sh')], log, { env });
  await ensureBinaries({
    requests: [{ component: 'e2e.test', version: CONFORMANCE_VERSION }],
    onProgress: (line) => {
      fs.appendFileSync(log, `${line}\n`);
      say(line);
    },
  });
}

/** The business cluster's Ready Nodes (at least `min`), waiting up to 5 minutes. */
async function readyNodes(kubeconfig: string, min: number, env: NodeJS.ProcessEnv): Promise<string[]> {
  type NodeList = { items: Array<{ metadata: { name: string }; status: { conditions?: Array<{ type: string; status: string }> } }> };
  return waitFor(
    `${min} Ready nodes in the business cluster`,
    async () => {
      const l = JSON.parse(await capture(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'json'], env)) as NodeList;
      const ready = l.items.filter((n) => n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length >= min ? ready.map((n) => n.metadata.name) : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 3000 },
  );
}

/** The running kind machine containers of a business cluster. */
async function machineContainers(cluster: string, namespace: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  return (
    await capture(
      'docker',
      ['ps', '-q', '--filter', `label=${KIND_CLUSTER_LABEL}=${cluster}`, '--filter', `label=${MACHINE_NAMESPACE_LABEL}=${namespace}`],
      env,
    )
  )
    .split('\n')
    .filter(Boolean);
}

/** Imports the conformance images into every machine container of the cluster (what `kind load` does). */
async function loadImages(cluster: string, namespace: string, runDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const ids = await machineContainers(cluster, namespace, env);
  if (ids.length === 0) throw new Error(`no running kind machine container of business cluster ${namespace}/${cluster}`);
  const log = path.join(runDir, 'images.log');
  await Promise.all(
    ids.map((id) => must('sh', ['-c', `docker exec -i ${id} ctr --namespace=k8s.io images import - < '${IMAGES_TAR}'`], log, { env })),
  );
  return ids.length;
}

/**
 * --konnectivity: konnectivity's images into the meta cluster's nodes and the machines, then the sample cluster switched
 * to `spec.apiServer.egress: Konnectivity`; waits for the apiserver's rollout (with its konnectivity-server sidecar)
 * and for a ready konnectivity-agent on every node.
 */
async function enableKonnectivity(businessKubeconfig: string, runDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const log = path.join(runDir, 'konnectivity.log');
  say(`konnectivity: images (hack/offline-images/konnectivity-images.sh), egress Konnectivity on ${SAMPLE} (log: ${log})`);
  await must('bash', [path.join(REPO, 'hack/offline-images/konnectivity-images.sh')], log, { env });
  const metaNodes = (await capture(path.join(KIND_DIR, 'kind'), ['get', 'nodes', '--name', ENV_NAME], env)).split('\n').filter(Boolean);
  const ids = [...metaNodes, ...(await machineContainers(SAMPLE, 'default', env))];
  await Promise.all(
    ids.map((id) =>
      must('sh', ['-c', `docker exec -i ${id} ctr --namespace=k8s.io images import - < '${KONNECTIVITY_TAR}'`], log, { env }),
    ),
  );
  const meta = ['--kubeconfig', path.join(env.KOKPIT_SANDBOX_DIR!, ENV_NAME, 'kubeconfig')];
  const patch = JSON.stringify({ spec: { apiServer: { egress: 'Konnectivity' } } });
  await must(KUBECTL, [...meta, 'patch', 'businesscluster', SAMPLE, '--type=merge', '-p', patch], log, { env });
  // `rollout status` right after the patch saw the old Deployment (the operator had not rendered yet): first the sidecar.
  await waitFor(
    'the operator to render the konnectivity-server sidecar',
    async () => {
      const jp = '{.spec.template.spec.containers[*].name}';
      const names = await capture(KUBECTL, [...meta, 'get', 'deployment', `${SAMPLE}-apiserver`, '-o', `jsonpath=${jp}`], env);
      return names.split(' ').includes('konnectivity-server') || undefined;
    },
    { timeoutMs: 300_000, intervalMs: 2000 },
  );
  await must(KUBECTL, [...meta, 'rollout', 'status', `deployment/${SAMPLE}-apiserver`, '--timeout=600s'], log, { env });
  type DS = { status?: { desiredNumberScheduled?: number; numberReady?: number } };
  const ready = await waitFor(
    'a ready konnectivity-agent on every node',
    async () => {
      const out = await capture(
        KUBECTL,
        ['--kubeconfig', businessKubeconfig, '-n', 'kube-system', 'get', 'ds', 'konnectivity-agent', '-o', 'json'],
        env,
      );
      const st = (JSON.parse(out) as DS).status;
      return st?.desiredNumberScheduled && st.numberReady === st.desiredNumberScheduled ? st.numberReady : undefined;
    },
    { timeoutMs: 600_000, intervalMs: 3000 },
  );
  say(`konnectivity: apiserver rolled out with its konnectivity-server; ${ready} konnectivity-agent pods ready`);
}

/** e2e.test against the kubeconfig; its JUnit report goes to <runDir>/report. Resolves with its exit code. */
function runE2E(o: ConformanceOptions, kubeconfig: string, runDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const args = e2eArgs(o, { kubeconfig, kubectl: KUBECTL, reportDir: path.join(runDir, 'report') });
  fs.mkdirSync(path.join(runDir, 'report'), { recursive: true });
  say(`e2e.test ${args.join(' ')} (log: ${path.join(runDir, 'e2e.log')})`);
  return logged(E2E_TEST, args, path.join(runDir, 'e2e.log'), { env, echo: true, cwd: runDir });
}

/** Brings up the kind meta cluster and the sample business cluster (two kind machines), as the e2e's step 2. */
async function bringUp(runDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const log = path.join(runDir, 'up.log');
  // A run that died left its environment: start clean.
  await logged(process.execPath, [KOKPIT, 'down', '--name', ENV_NAME], log, { env });
  await logged(path.join(KIND_DIR, 'kind'), ['delete', 'cluster', '--name', ENV_NAME], log, { env });
  say(`kokpit up --runtime kind --name ${ENV_NAME} --with-sample (log: ${log})`);
  await must(process.execPath, [KOKPIT, 'up', '--runtime', 'kind', '--name', ENV_NAME, '--with-sample', '--detach'], log, { env });
}

async function tearDown(runDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const log = path.join(runDir, 'down.log');
  say(`kokpit down --name ${ENV_NAME}`);
  const code = await logged(process.execPath, [KOKPIT, 'down', '--name', ENV_NAME], log, { env });
  // kokpit down removes the kind cluster; if it could not, kind itself does.
  const left = (await capture(path.join(KIND_DIR, 'kind'), ['get', 'clusters'], env)).split('\n').includes(ENV_NAME);
  if (code !== 0 || left) await logged(path.join(KIND_DIR, 'kind'), ['delete', 'cluster', '--name', ENV_NAME], log, { env });
}

function writeSummary(runDir: string, e2eCode: number): boolean {
  const junit = path.join(runDir, 'report', 'junit_01.xml');
  const wall = Math.round((Date.now() - t0) / 1000);
  if (!fs.existsSync(junit)) {
    const line = `no JUnit report (e2e.test exited ${e2eCode}); see ${path.join(runDir, 'e2e.log')}`;
    fs.writeFileSync(path.join(runDir, 'summary.txt'), `${line}\n`);
    say(line);
    return false;
  }
  const s = summarizeJUnit(fs.readFileSync(junit, 'utf8'));
  const failed = s.cases.filter((c) => c.status === 'failed');
  const flaked = flakedIn(fs.readFileSync(path.join(runDir, 'e2e.log'), 'utf8'));
  const lines = [
    `${summaryLine(s)}${flaked ? ` (${flaked} of them passed only on a retry: see e2e.log)` : ''}`,
    `explained failures (README "Conformance"): ${failed.filter((c) => explainFailure(c.name)).length} of ${failed.length}`,
    `wall ${wall} s; e2e.test exit ${e2eCode}; JUnit ${junit}`,
    ...failed.map((c) => `FAILED ${c.name}${explainFailure(c.name) ? ` (explained: ${explainFailure(c.name)})` : ''}: ${c.message ?? ''}`),
    ...s.cases.filter((c) => c.status === 'skipped').map((c) => `SKIPPED ${c.name}: ${c.message ?? ''}`),
  ];
  fs.writeFileSync(path.join(runDir, 'summary.txt'), `${lines.join('\n')}\n`);
  for (const l of lines) say(l);
  console.log(
    JSON.stringify({ conformance: summaryLine(s), passed: s.passed, failed: s.failed, skipped: s.skipped, flaked, wall_s: wall, runDir }),
  );
  return s.failed === 0 && s.passed > 0;
}

async function main(): Promise<void> {
  let o: ConformanceOptions;
  try {
    o = parseConformanceArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`test:conformance: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    process.exit(2);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = path.resolve(o.runDir ?? path.join(os.homedir(), '.cache/kokpit/conformance', stamp));
  fs.mkdirSync(runDir, { recursive: true });
  say(`run directory ${runDir}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${KIND_DIR}:${path.dirname(KUBECTL)}:${process.env.PATH}`,
    KOKPIT_FROM_SOURCE: '1',
  };
  // The environment this run brings up lives in the run directory, apart from the user's own.
  if (!o.cluster)
    Object.assign(env, { KOKPIT_SANDBOX_DIR: path.join(runDir, 'env'), XDG_CONFIG_HOME: path.join(runDir, 'config'), KUBECONFIG: '' });
  if (o.noSetup) say('setup skipped (--no-setup): engine, images and e2e.test built by the caller');
  else await setup(runDir, env);
  let broughtUp = false;
  let ok: boolean;
  try {
    if (!o.cluster) {
      broughtUp = true;
      await bringUp(runDir, env);
    }
    const cluster = o.cluster ?? SAMPLE;
    const kubeconfig = path.join(runDir, 'kubeconfig');
    const metaArgs = o.cluster ? o.metaArgs : ['--name', ENV_NAME];
    await must(process.execPath, [KOKPIT, 'kubeconfig', cluster, ...metaArgs, '-o', kubeconfig], path.join(runDir, 'up.log'), { env });
    const nodes = await readyNodes(kubeconfig, o.cluster ? 1 : 2, env);
    say(`business cluster ${cluster}: Ready nodes ${nodes.join(', ')}`);
    const ns = o.metaArgs.includes('--namespace') ? o.metaArgs[o.metaArgs.indexOf('--namespace') + 1]! : 'default';
    const n = await loadImages(cluster, ns, runDir, env);
    say(`conformance images imported into ${n} machines`);
    if (o.konnectivity) await enableKonnectivity(kubeconfig, runDir, env);
    ok = writeSummary(runDir, await runE2E(o, kubeconfig, runDir, env));
  } finally {
    if (broughtUp && !o.keep) await tearDown(runDir, env);
    if (broughtUp && o.keep) say(`kept: KOKPIT_SANDBOX_DIR=${path.join(runDir, 'env')} node bin/kokpit.js down --name ${ENV_NAME}`);
    say(`run directory ${runDir}`);
  }
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(`test:conformance: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
