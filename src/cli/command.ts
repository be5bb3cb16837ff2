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

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}
