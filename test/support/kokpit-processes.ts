// Running this kokpit's CLI as a user does (node bin/kokpit.js, from the sources), and finding the processes a local
// environment's pod runner started (a pod's container runs in its pod directory): shared by the tests of
// `kokpit up --manager in-cluster` (cli/up-sandbox-in-cluster.test.ts, multicluster/in-cluster-manager.test.ts).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const KOKPIT_BIN = path.resolve('bin/kokpit.js');

export function runKokpit(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KOKPIT_BIN, ...args], { env, timeout: 400_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Command lines of live processes working under `dir`, by pid (zombies left out). */
export function commandLinesUnder(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.split(') ')[1]?.startsWith('Z') || !fs.readlinkSync(`/proc/${d}/cwd`).startsWith(dir)) continue;
      out.set(Number(d), fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      /* exited */
    }
  }
  return out;
}
