// `kokpit down`: stops a local environment — manager, pod runner (and every pod process it runs),
// control plane — and removes its state. Fails (exit 1) if any process it knew of is still alive.
import * as fs from 'node:fs';
import { parseFlags, str } from '../../local/args';
import { DEFAULT_ENV_NAME, environmentDir, NAME_RE, readEnvironment } from '../../local/state';
import { isAlive, waitFor } from '../../testenv';
import { runsBinary } from '../../testenv/reaper';
import { EXIT, UsageError, type Command } from '../command';
import { readSandboxState } from './sandbox';

function signal(pid: number, sig: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

export const downCommand: Command = {
  name: 'down',
  summary: 'Stop a local environment started by `kokpit up` (manager, pod runner processes, control plane)',
  usage: 'kokpit down [--name N]\n\nExit code 0 when everything stopped, 1 when a process is left running.',
  async run(argv, io) {
    const p = parseFlags(argv, [{ name: 'name', value: true }]);
    if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
    const name = str(p, 'name') ?? DEFAULT_ENV_NAME;
    if (!NAME_RE.test(name)) throw new UsageError(`invalid --name "${name}"`);
    const env = readEnvironment(name);
    const dir = environmentDir(name);
    if (!env) {
      if (readSandboxState(name)) throw new Error(`"${name}" is a plain sandbox, not a \`kokpit up\` environment; stop it with \`kokpit sandbox stop --name ${name}\``);
      if (fs.existsSync(dir)) {
        fs.rmSync(dir, { recursive: true, force: true });
        io.out(`local environment "${name}" was not running; removed its leftover state`);
      } else {
        io.out(`no local environment "${name}"`);
      }
      return EXIT.OK;
    }
    const pids = [env.pid, ...env.components.map((c) => c.pid)];
    if (isAlive(env.pid)) {
      // The owner stops the manager, the pod runner (its pods' processes) and the control plane in order.
      signal(env.pid, 'SIGTERM', env.processGroup);
      try {
        await waitFor('local environment processes gone', async () => (pids.some(isAlive) ? undefined : true), { timeoutMs: 45_000, intervalMs: 200 });
      } catch {
        io.err(`local environment "${name}" did not stop within 45 s; killing it`);
        signal(env.pid, 'SIGKILL', env.processGroup);
      }
    }
    for (const c of env.components) if (runsBinary(c.pid, c.bin)) signal(c.pid, 'SIGKILL', false);
    fs.rmSync(dir, { recursive: true, force: true });
    const left = pids.filter(isAlive);
    if (left.length) {
      io.err(`local environment "${name}": processes still running: ${left.join(', ')}`);
      return EXIT.FAILED;
    }
    io.out(`local environment "${name}" stopped`);
    return EXIT.OK;
  },
};
