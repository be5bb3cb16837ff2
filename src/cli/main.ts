// kokpit CLI entry: the command table and dispatch only; a command's module loads when it runs (registry.ts).
import { EXIT, UsageError, type CliIO } from './command';
import { COMMANDS } from './registry';

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
    "Run `kokpit <command> --help` for a command's flags.",
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
    return await (await cmd.load()).run(rest, io);
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
