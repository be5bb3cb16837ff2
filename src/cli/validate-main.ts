// Entry of the validate bundle (dist/cli/validate.cjs, scripts/build.mjs): `kokpit validate` is the command run
// most often (CI, pre-commit hooks), so dist/cli.js (door.ts) sends it here before anything else loads. One CommonJS
// file with only the validation engine starts sooner than the same code as ES module chunks (no module loader, one
// file to read, and a V8 code cache); it behaves as `runCli(['validate', …])` does, through the same runCommand and
// table entry.
import type { CliIO } from './command';
import { validateCommand } from './commands/validate';
import { defaultIO, runCommand } from './run-command';
import { VALIDATE_ENTRY } from './validate-entry';

/** `kokpit validate …argv`; its exit code. */
export function run(argv: string[], io: CliIO): Promise<number> {
  return runCommand({ ...VALIDATE_ENTRY, load: async () => validateCommand }, argv, io);
}

/** `kokpit validate …` from process.argv (argv[2] is "validate"). */
export function main(): void {
  run(process.argv.slice(3), defaultIO()).then((code) => {
    process.exitCode = code;
  });
}
