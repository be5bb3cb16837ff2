// The logger the runtime hands to every feature (and later to the core): levels as VS Code's LogOutputChannel has them.
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

/** Whether a message at `level` passes a `minimum` threshold. */
export function levelEnabled(minimum: LogLevel, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimum);
}

/** A logger that drops messages below `minimum()` (read on every call, so a settings change applies at once). */
export function filteredLogger(sink: Logger, minimum: () => LogLevel): Logger {
  const at =
    (level: LogLevel) =>
    (message: string | Error): void => {
      if (!levelEnabled(minimum(), level)) return;
      if (level === 'error') sink.error(message);
      else sink[level](message instanceof Error ? message.message : message);
    };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
