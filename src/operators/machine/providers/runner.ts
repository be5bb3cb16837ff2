// Runs host commands (docker, and kubeadm through `docker exec`) without a shell. Injectable, so tests
// assert the exact argv of every command and feed back any result.

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

export interface CommandOptions {
  /** Written to stdin (how secrets reach a container: never in argv, where `ps` shows them). */
  input?: string;
  timeoutMs?: number;
}

export interface CommandRunner {
  /** Resolves with the exit code; rejects with CommandNotFoundError when `file` cannot be executed at all. */
  run(file: string, args: readonly string[], opts?: CommandOptions): Promise<CommandResult>;
}

export class CommandNotFoundError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'CommandNotFoundError';
  }
}

export const execaRunner: CommandRunner = {
  async run(file, args, opts = {}) {
    // execa is ESM-only: loaded on first use (the CommonJS build cannot require it).
    const { execa } = await import('execa');
    const r = await execa(file, [...args], { reject: false, input: opts.input ?? '', timeout: opts.timeoutMs, stripFinalNewline: true, all: false });
    if (r.exitCode === undefined && !r.timedOut) {
      // The process never started (ENOENT, EACCES).
      throw new CommandNotFoundError(file, String((r as { code?: string }).code ?? r.shortMessage ?? 'cannot be started'));
    }
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), ...(r.timedOut ? { timedOut: true } : {}) };
  },
};

/** Last `lines` non-empty lines of command output, for condition messages. */
export function tail(text: string, lines = 5): string {
  return text.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-lines).join('\n');
}
