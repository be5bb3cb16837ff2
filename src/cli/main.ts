// kokpit CLI entry: dispatches to one module per command.
import { EXIT, UsageError, type CliIO, type Command } from './command';
import { operatorCommand } from './commands/operator';
import { sandboxCommand } from './commands/sandbox';
import { validateCommand } from './commands/validate';
import { versionsCommand } from './commands/versions';
import { upCommand } from './commands/up';
import { downCommand } from './commands/down';
import { statusCommand } from './commands/status';
import { kubeconfigCommand } from './commands/kubeconfig';
import { getCommand } from './commands/get';
import { renderCommand } from './commands/render';
import { applyCommand } from './commands/apply';
import { backupCommand } from './commands/backup';
import { restoreCommand } from './commands/restore';
import { upgradeCommand } from './commands/upgrade';
import { addonsCommand } from './commands/addons';
import { diffCommand } from './commands/diff';

export const COMMANDS: Command[] = [
  validateCommand, versionsCommand, sandboxCommand, operatorCommand,
  upCommand, downCommand, statusCommand, kubeconfigCommand, getCommand, renderCommand, applyCommand,
  backupCommand, restoreCommand,
  upgradeCommand, addonsCommand, diffCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'kokpit — Kube-on-Kube fleet management',
    '',
    'Usage: kokpit <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `kokpit <command> --help` for a command\'s flags.',
  ].join('\n');
}

export function defaultIO(): CliIO {
  const isTTY = Boolean(process.stderr.isTTY);
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

export async function runCli(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`kokpit: unknown command "${name}"\n\n${usage()}`);
    return EXIT.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${cmd.summary}\n\nUsage: ${cmd.usage}`);
    return EXIT.OK;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`kokpit ${name}: ${e.message}\nUsage: ${cmd.usage}`);
      return EXIT.USAGE;
    }
    io.err(`kokpit ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.FAILED;
  }
}

/** Entry used by bin/kokpit.js. */
export function main(): void {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
