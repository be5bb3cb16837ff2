// The contract every `kokpit <command>` module fulfils.
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Progress lines go to stderr, and only on a TTY. */
  progress: (text: string) => void;
  isTTY: boolean;
  cwd: string;
}

/** Exit codes scripts can rely on. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export class UsageError extends Error {}

/** A command's code; its name, summary and usage are in the command table (registry.ts), loaded without it. */
export interface Command {
  run(argv: string[], io: CliIO): Promise<number>;
}
