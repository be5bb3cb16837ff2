// code-server (VS Code in the browser, from npm) for the UI tier: installed once into ~/.cache/kokpit (not into
// node_modules: its 200 MB install builds native modules and would slow down every `npm ci`), then started on
// 127.0.0.1 with its own user-data and extensions directories.
//
// Offline install notes (why each step is there):
// - Its postinstall refuses to run as root unless npm_config_unsafe_perm=true.
// - @vscode/ripgrep downloads rg from GitHub; we seed its download cache with Debian's /usr/bin/rg instead.
// - node-pty runs `npx node-gyp`, which needs npm_config_yes=true to run without a prompt.
// - kerberos builds from source (its prebuilt download fails offline): needs Debian's libkrb5-dev.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

export function codeServerDir(): string {
  const cache = process.env.KOKPIT_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'kokpit');
  return path.join(cache, 'code-server', CODE_SERVER_VERSION);
}

function entryPoint(): string {
  return path.join(codeServerDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

function installed(): boolean {
  const lib = path.join(codeServerDir(), 'node_modules', 'code-server', 'lib', 'vscode');
  return fs.existsSync(entryPoint()) && fs.existsSync(path.join(lib, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));
}

/** What this machine lacks to run the UI tier, or undefined when it has everything. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(chromiumPath())) missing.push(`chromium at ${chromiumPath()} (apt-get install -y chromium)`);
  if (!installed()) {
    if (!fs.existsSync('/usr/bin/rg')) missing.push('Debian ripgrep for the code-server install (apt-get install -y ripgrep)');
    if (!fs.existsSync('/usr/include/gssapi/gssapi.h'))
      missing.push('Kerberos headers for the code-server install (apt-get install -y libkrb5-dev)');
  }
  if (Number(process.versions.node.split('.')[0]) !== 20)
    missing.push(`Node 20 for code-server ${CODE_SERVER_VERSION} (running ${process.version})`);
  return missing;
}

export function chromiumPath(): string {
  return process.env.KOKPIT_CHROMIUM ?? '/usr/bin/chromium';
}

/** Installs code-server into the cache unless it is there; throws with npm's log tail when the install fails. */
export function ensureCodeServer(log: (line: string) => void): string {
  if (installed()) return entryPoint();
  const dir = codeServerDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'kokpit-code-server', private: true }) + '\n');
  const rgCache = path.join(os.tmpdir(), `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  if (!fs.existsSync(path.join(rgCache, RIPGREP_ASSET))) {
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-rg-'));
    fs.mkdirSync(rgCache, { recursive: true });
    fs.copyFileSync('/usr/bin/rg', path.join(stage, 'rg'));
    const tar = spawnSync('tar', ['czf', path.join(rgCache, RIPGREP_ASSET), '-C', stage, 'rg'], { encoding: 'utf8' });
    fs.rmSync(stage, { recursive: true, force: true });
    if (tar.status !== 0) throw new Error(`cannot seed the ripgrep cache: ${tar.stderr}`);
  }
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (a few minutes, once)`);
  const logFile = path.join(dir, 'install.log');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: dir,
    env: { ...process.env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  fs.writeFileSync(logFile, `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0 || !installed()) {
    const tail = `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => !l.startsWith('gyp info'))
      .slice(-25)
      .join('\n');
    throw new Error(`code-server ${CODE_SERVER_VERSION} did not install (npm exit ${r.status}); full log in ${logFile}:\n${tail}`);
  }
  return entryPoint();
}

/** Installs a .vsix into `extensionsDir` with code-server's own CLI. */
export function installExtension(
  entry: string,
  vsix: string,
  dirs: { userDataDir: string; extensionsDir: string; configFile: string },
): void {
  const r = spawnSync(
    process.execPath,
    [
      entry,
      '--config',
      dirs.configFile,
      '--user-data-dir',
      dirs.userDataDir,
      '--extensions-dir',
      dirs.extensionsDir,
      '--install-extension',
      vsix,
    ],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (r.status !== 0 || !/successfully installed/.test(r.stdout))
    throw new Error(`installing ${vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

export interface CodeServer {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts code-server on 127.0.0.1:`port` and resolves once /healthz answers (deadline `readyMs`). */
export async function startCodeServer(opts: {
  entry: string;
  port: number;
  userDataDir: string;
  extensionsDir: string;
  configFile: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  readyMs?: number;
}): Promise<CodeServer> {
  const out = fs.openSync(opts.logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      opts.entry,
      '--config',
      opts.configFile,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${opts.port}`,
      '--user-data-dir',
      opts.userDataDir,
      '--extensions-dir',
      opts.extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      opts.workspace,
    ],
    // Its own process group, so stop() ends code-server and the extension hosts it started, and nothing else.
    { env: opts.env, stdio: ['ignore', out, out], detached: true },
  );
  fs.closeSync(out);
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => ((exited = `exit ${code ?? signal}`), resolve())),
  );
  const url = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const killTimer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5000);
    await exitedPromise;
    clearTimeout(killTimer);
  };
  const deadline = Date.now() + (opts.readyMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`code-server ended (${exited}) before it was ready; log ${opts.logFile}:\n${tail(opts.logFile)}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer ${url}/healthz within ${(opts.readyMs ?? 60_000) / 1000} s; log:\n${tail(opts.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, logFile: opts.logFile, stop };
}

export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
