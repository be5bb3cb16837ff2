// kokpit CLI entry: the command table and dispatch only; a command's module loads when it runs (registry.ts).
import * as fs from 'node:fs';
import { packageDir } from '../local/assets';
import { EXIT, type CliIO } from './command';
import { COMMANDS } from './registry';
import { defaultIO, runCommand } from './run-command';

export { defaultIO };

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
    "Run `kokpit <command> --help` for a command's flags; `kokpit --version` prints kokpit's version.",
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  // The package's version (the manager image's tag): what an image or an install is checked against.
  if (name === '--version') {
    io.out((JSON.parse(fs.readFileSync(packageDir('package.json'), 'utf8')) as { version: string }).version);
    return EXIT.OK;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`kokpit: unknown command "${name}"\n\n${usage()}`);
    return EXIT.USAGE;
  }
  return runCommand(cmd, rest, io);
}

/** Entry used by bin/kokpit.js. */
export function main(): void {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
