// Creating, reusing and deleting the kind meta cluster of `kokpit up --runtime kind`, through an injectable
// command runner so unit tests pin every argv. kind writes a kubeconfig only to the file named by
// --kubeconfig: a fresh temporary file per cluster, so parallel runs never contend for ~/.kube/config's lock
// file (and the user's kubeconfig is never touched); kokpit copies it (0600) into the environment's state dir.
//
// NOT RUN YET against a real Docker engine and kind (none on the machine this was written on); the real run
// belongs to the end-to-end issue (#9): test/integration/cli/up-kind.test.ts runs wherever both exist.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { redactSecrets } from '../../kube/errors';
import { writePrivateFile } from '../../pki/private-files';
import { CommandNotFoundError, execaRunner, tail, type CommandResult, type CommandRunner } from '../../binaries/processes';
import { KIND_CLUSTER_LABEL } from '../../operators/machine/providers/kind';
import { MIN_KIND_VERSION } from './preflight';

/** A failure of the kind runtime: what happened, and the command that fixes it. */
export class KindError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'KindError';
  }
}

export interface KindToolOptions {
  runner?: CommandRunner;
  /** kind executable (default `kind`, looked up on PATH). */
  kind?: string;
  /** docker executable (default `docker`). */
  docker?: string;
}

export const DEFAULT_KIND_WAIT = '5m';

export function kindCreateArgs(o: { name: string; configFile: string; kubeconfig: string; wait?: string }): string[] {
  return [
    'create',
    'cluster',
    '--name',
    o.name,
    '--config',
    o.configFile,
    '--kubeconfig',
    o.kubeconfig,
    '--wait',
    o.wait ?? DEFAULT_KIND_WAIT,
  ];
}
export const kindGetClustersArgs = (): string[] => ['get', 'clusters'];
export const kindGetKubeconfigArgs = (name: string): string[] => ['get', 'kubeconfig', '--name', name];
export const kindDeleteArgs = (name: string, kubeconfig: string): string[] => [
  'delete',
  'cluster',
  '--name',
  name,
  '--kubeconfig',
  kubeconfig,
];
/** Every container kind made for the cluster (its nodes carry kind's cluster label), running or not. */
export const kindContainersArgs = (cluster: string): string[] => [
  'ps',
  '--all',
  '--filter',
  `label=${KIND_CLUSTER_LABEL}=${cluster}`,
  '--format',
  '{{.Names}}',
];

const INSTALL_KIND =
  `Install kind v${MIN_KIND_VERSION} or newer (\`go install sigs.k8s.io/kind@latest\`) and put it on PATH, ` +
  `or run \`kokpit up --runtime sandbox\``;
const INSTALL_DOCKER = 'Install Docker Engine (https://docs.docker.com/engine/install/) and put `docker` on PATH';

async function exec(runner: CommandRunner, file: string, args: string[], timeoutMs: number, missingFix: string): Promise<CommandResult> {
  try {
    return await runner.run(file, args, { timeoutMs });
  } catch (e) {
    if (e instanceof CommandNotFoundError) throw new KindError(`cannot run ${file} (${e.message.slice(file.length + 2)})`, missingFix);
    throw e;
  }
}

/** Last lines of kind's or docker's stderr, without anything that looks like a key or token. */
const errorTail = (r: CommandResult, lines = 8) =>
  redactSecrets(tail(r.stderr || r.stdout, lines)).replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '[redacted token]') || `exit ${r.exitCode}`;

export async function listKindClusters(o: KindToolOptions = {}): Promise<string[]> {
  const kind = o.kind ?? 'kind';
  const r = await exec(o.runner ?? execaRunner, kind, kindGetClustersArgs(), 30_000, INSTALL_KIND);
  if (r.exitCode !== 0)
    throw new KindError(
      `\`${kind} get clusters\` exited ${r.exitCode}: ${errorTail(r, 3)}`,
      'Check that the Docker engine answers (`docker info`), then retry',
    );
  // "No kind clusters found." goes to stderr; stdout holds one name a line.
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A fix for the usual reasons `kind create cluster` fails, read from its stderr. */
export function createFailureFix(name: string, stderr: string): string {
  if (/already exist for a cluster with the name/i.test(stderr))
    return `Delete the half-made cluster with \`kind delete cluster --name ${name}\`, then run \`kokpit up\` again`;
  if (/port is already allocated|address already in use/i.test(stderr))
    return (
      'A reserved host port is taken: free it or choose another range in kokpit.yaml (spec.metaCluster.ports), ' +
      'then `kind delete cluster --name ' +
      name +
      '` and retry'
    );
  if (/(pull|pulling) image|manifest unknown|not found: manifest/i.test(stderr))
    return 'The node image could not be pulled: check the network and `docker pull` the image named in the kind config, then retry';
  if (/too many open files|inotify/i.test(stderr))
    return 'Raise the inotify limits: `sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512`, then retry';
  return (
    `Look at the node logs (\`kind export logs --name ${name}\`), delete the cluster (\`kind delete cluster ` +
    `--name ${name}\`) and retry`
  );
}

export interface EnsureKindClusterOptions extends KindToolOptions {
  name: string;
  configFile: string;
  /** Where the cluster's admin kubeconfig ends up (0600), in the environment's state dir. */
  kubeconfigFile: string;
  wait?: string;
  /** Directory for kind's temporary kubeconfig (default: a fresh one under the OS temp dir, removed after). */
  tempDir?: string;
  /** `kind create` pulls the node image first: allowed this long on top of --wait. */
  timeoutMs?: number;
}

/** Creates the kind cluster, or reuses it when `kind get clusters` lists it (idempotent). */
export async function ensureKindCluster(o: EnsureKindClusterOptions): Promise<{ created: boolean }> {
  const runner = o.runner ?? execaRunner;
  const kind = o.kind ?? 'kind';
  if ((await listKindClusters(o)).includes(o.name)) {
    const r = await exec(runner, kind, kindGetKubeconfigArgs(o.name), 30_000, INSTALL_KIND);
    if (r.exitCode !== 0 || !r.stdout.trim()) {
      throw new KindError(
        `kind cluster "${o.name}" exists but \`${kind} get kubeconfig --name ${o.name}\` exited ${r.exitCode}: ${errorTail(r, 3)}`,
        `Its node may be stopped: \`docker start ${o.name}-control-plane\`, or delete it (\`kind delete cluster ` +
          `--name ${o.name}\`) and retry`,
      );
    }
    writePrivateFile(o.kubeconfigFile, `${r.stdout.trim()}\n`);
    return { created: false };
  }
  const temp = o.tempDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `kokpit-kind-${o.name}-`));
  const tempKubeconfig = path.join(temp, 'kubeconfig');
  try {
    const r = await exec(
      runner,
      kind,
      kindCreateArgs({ name: o.name, configFile: o.configFile, kubeconfig: tempKubeconfig, wait: o.wait }),
      o.timeoutMs ?? 20 * 60_000,
      INSTALL_KIND,
    );
    if (r.exitCode !== 0 || r.timedOut) {
      const why = r.timedOut ? 'timed out' : `exited ${r.exitCode}`;
      throw new KindError(`\`kind create cluster --name ${o.name}\` ${why}:\n${errorTail(r)}`, createFailureFix(o.name, r.stderr));
    }
    let yaml: string;
    try {
      yaml = fs.readFileSync(tempKubeconfig, 'utf8');
    } catch {
      throw new KindError(
        `kind created cluster "${o.name}" but wrote no kubeconfig to ${tempKubeconfig}`,
        `Run \`kind get kubeconfig --name ${o.name}\` to check, or delete the cluster (\`kind delete cluster --name ${o.name}\`) and retry`,
      );
    }
    writePrivateFile(o.kubeconfigFile, yaml);
    return { created: true };
  } finally {
    if (o.tempDir) for (const f of [tempKubeconfig, `${tempKubeconfig}.lock`]) fs.rmSync(f, { force: true });
    else fs.rmSync(temp, { recursive: true, force: true });
  }
}

export interface DeleteKindClusterOptions extends KindToolOptions {
  name: string;
  tempDir?: string;
}

/** Deletes the kind cluster (a no-op for kind when it is gone) and returns the containers still labelled with it. */
export async function deleteKindCluster(o: DeleteKindClusterOptions): Promise<{ leftovers: string[] }> {
  const runner = o.runner ?? execaRunner;
  const kind = o.kind ?? 'kind';
  const docker = o.docker ?? 'docker';
  const temp = o.tempDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `kokpit-kind-${o.name}-`));
  const tempKubeconfig = path.join(temp, 'kubeconfig');
  try {
    const r = await exec(runner, kind, kindDeleteArgs(o.name, tempKubeconfig), 5 * 60_000, INSTALL_KIND);
    if (r.exitCode !== 0)
      throw new KindError(
        `\`kind delete cluster --name ${o.name}\` exited ${r.exitCode}:\n${errorTail(r)}`,
        `Check \`docker info\`, then remove the node containers: \`docker rm -f $(docker ps -aq --filter ` +
          `label=${KIND_CLUSTER_LABEL}=${o.name})\``,
      );
  } finally {
    if (o.tempDir) for (const f of [tempKubeconfig, `${tempKubeconfig}.lock`]) fs.rmSync(f, { force: true });
    else fs.rmSync(temp, { recursive: true, force: true });
  }
  return { leftovers: await listContainers(runner, docker, kindContainersArgs(o.name)) };
}

async function listContainers(runner: CommandRunner, docker: string, args: string[]): Promise<string[]> {
  const r = await exec(runner, docker, args, 30_000, INSTALL_DOCKER);
  if (r.exitCode !== 0)
    throw new KindError(
      `\`${docker} ${args.join(' ')}\` exited ${r.exitCode}: ${errorTail(r, 2)}`,
      'Start the Docker engine (`sudo systemctl start docker`) and run `kokpit down` again',
    );
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Removes kind's Docker network when no container is attached to it any more (`kind delete` leaves it), so
 * `kokpit down` leaves no network behind; another kind cluster's containers keep it. Returns what happened.
 */
export async function removeKindNetworkIfUnused(
  o: KindToolOptions & { network?: string } = {},
): Promise<'removed' | 'absent' | { kept: number }> {
  const runner = o.runner ?? execaRunner;
  const docker = o.docker ?? 'docker';
  const network = o.network ?? 'kind';
  const r = await exec(runner, docker, ['network', 'inspect', network, '--format', '{{len .Containers}}'], 30_000, INSTALL_DOCKER);
  if (r.exitCode !== 0) return 'absent';
  const attached = Number(r.stdout.trim());
  if (attached > 0) return { kept: attached };
  const rm = await exec(runner, docker, ['network', 'rm', network], 30_000, INSTALL_DOCKER);
  if (rm.exitCode !== 0)
    throw new KindError(
      `\`docker network rm ${network}\` exited ${rm.exitCode}: ${errorTail(rm, 2)}`,
      `Remove it by hand: \`docker network rm ${network}\``,
    );
  return 'removed';
}

/**
 * Force-removes (with their anonymous volumes) the containers carrying `label=value`: machine containers of an
 * environment whose manager could not delete them (it died, or its Machines' finalizers did not finish).
 */
export async function removeLabelledContainers(label: string, value: string, o: KindToolOptions = {}): Promise<string[]> {
  const runner = o.runner ?? execaRunner;
  const docker = o.docker ?? 'docker';
  const names = await listContainers(runner, docker, ['ps', '--all', '--filter', `label=${label}=${value}`, '--format', '{{.Names}}']);
  if (!names.length) return [];
  const rm = await exec(runner, docker, ['rm', '--force', '--volumes', ...names], 120_000, INSTALL_DOCKER);
  if (rm.exitCode !== 0)
    throw new KindError(
      `\`docker rm --force --volumes ${names.join(' ')}\` exited ${rm.exitCode}: ${errorTail(rm, 2)}`,
      `Remove them by hand: \`docker rm -f -v ${names.join(' ')}\``,
    );
  return names;
}

/** The container paths a kind node mounts from the host (`docker container inspect`); undefined when there is no such node. */
export async function kindNodeMounts(node: string, o: KindToolOptions = {}): Promise<string[] | undefined> {
  const r = await exec(
    o.runner ?? execaRunner,
    o.docker ?? 'docker',
    ['container', 'inspect', '--format', '{{json .Mounts}}', node],
    30_000,
    INSTALL_DOCKER,
  );
  if (r.exitCode !== 0) return undefined;
  try {
    return (JSON.parse(r.stdout || '[]') as Array<{ Destination?: string }>).map((m) => m.Destination ?? '').filter(Boolean);
  } catch {
    throw new KindError(
      `\`docker container inspect ${node}\` printed what is not its --format: ${tail(r.stdout, 1)}`,
      'Check `docker info`',
    );
  }
}

/** Containers left of the given names (machines of business clusters: kind provider containers). */
export async function leftoverContainers(names: string[], o: KindToolOptions = {}): Promise<string[]> {
  if (!names.length) return [];
  const all = await listContainers(o.runner ?? execaRunner, o.docker ?? 'docker', ['ps', '--all', '--format', '{{.Names}}']);
  return all.filter((n) => names.includes(n));
}

/** Where hack/offline-images/manager-image.sh saves an image (`docker save`): kind loads that file. */
export function savedImageArchive(image: string, env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.KOKPIT_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'kokpit');
  return path.join(cache, 'images', 'saved', `${image.replace(/[/:]/g, '_')}.tar`);
}

export interface LoadKindImageOptions extends KindToolOptions {
  name: string;
  /** The image, or several that one saved archive holds together (OCM's: hack/offline-images/ocm-images.sh). */
  image: string | readonly string[];
  /** The saved archive (default: savedImageArchive(the first image)); `kind load docker-image` when it is absent. */
  archive?: string;
  /** What builds the image, for the error when Docker does not have it. */
  buildHint: string;
}

/**
 * Puts a locally built image into every node of the kind cluster (no registry: pods use it with the default
 * IfNotPresent). Docker must hold the image; its saved archive, when present, is loaded as is (`kind load
 * image-archive`), which spares kind a `docker save` of its own.
 */
export async function loadKindImage(o: LoadKindImageOptions): Promise<'image-archive' | 'docker-image'> {
  const runner = o.runner ?? execaRunner;
  const docker = o.docker ?? 'docker';
  const images = typeof o.image === 'string' ? [o.image] : [...o.image];
  for (const image of images) {
    const inspect = await exec(runner, docker, ['image', 'inspect', '--format', '{{.Id}}', image], 30_000, INSTALL_DOCKER);
    if (inspect.exitCode !== 0) {
      const missing = /no such image/i.test(inspect.stderr);
      throw new KindError(
        missing
          ? `image ${image} is not in the Docker engine's image store (it is built on this machine, never pulled)`
          : `\`${docker} image inspect ${image}\` exited ${inspect.exitCode}: ${errorTail(inspect, 2)}`,
        missing ? `Build it: ${o.buildHint}` : 'Check that the Docker engine answers (`docker info`), then retry',
      );
    }
  }
  const archive = o.archive ?? savedImageArchive(images[0]!);
  const how = fs.existsSync(archive) ? 'image-archive' : 'docker-image';
  const args = ['load', how, ...(how === 'image-archive' ? [archive] : images), '--name', o.name];
  const r = await exec(runner, o.kind ?? 'kind', args, 10 * 60_000, INSTALL_KIND);
  if (r.exitCode !== 0 || r.timedOut)
    throw new KindError(
      `\`kind ${args.join(' ')}\` ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}: ${errorTail(r, 3)}`,
      `Check the node (\`docker exec ${o.name}-control-plane crictl images\`) and the disk space, then retry`,
    );
  return how;
}
