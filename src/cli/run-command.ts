// Running one command of the table: its --help, its code, and how its errors become exit codes. Shared by the
// full CLI (main.ts) and the validate bundle (validate-main.ts), which must behave the same without the table.
import { fstatSync } from 'node:fs';
import { EXIT, UsageError, type CliIO } from './command';
import type { CommandEntry } from './registry';

/** Whether stderr is a terminal. A terminal is a character device: when fd 2 is not one (a pipe, a file), this answers
 *  without creating process.stderr, which loads Node's stream modules (and net's, for a pipe) — a few ms of a short
 *  command such as `kokpit validate` in CI, which prints nothing to stderr then (npm run bench -- cli). */
function stderrIsTTY(): boolean {
  try {
    if (!fstatSync(2).isCharacterDevice()) return false;
  } catch {
    return false; // fd 2 is closed: process.stderr would be a stream that writes nowhere, not a terminal
  }
  return Boolean(process.stderr.isTTY);
}

export function defaultIO(): CliIO {
  const isTTY = stderrIsTTY();
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    progress: (t) => {
      if (isTTY) process.stderr.write(t.endsWith('\n') ? t : t + '\n');
    },
    isTTY,
    cwd: process.cwd(),
  };
}

/** `kokpit <cmd.name> …rest`: its usage for --help, else its exit code (2 for a usage error, 1 for a failure). */
export async function runCommand(cmd: CommandEntry, rest: string[], io: CliIO): Promise<number> {
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${cmd.summary}\n\nUsage: ${cmd.usage}`);
    return EXIT.OK;
  }
  try {
    return await (await cmd.load()).run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`kokpit ${cmd.name}: ${e.message}\nUsage: ${cmd.usage}`);
      return EXIT.USAGE;
    }
    io.err(`kokpit ${cmd.name}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.FAILED;
  }
}
