// Bounds on what kokpit reads, so a hostile manifest costs bounded time and memory in the CLI and the editor.

/** Bounds every reader of manifests honours (the CLI, the editor, render/apply/diff). */
export const LIMITS = {
  /** Characters of one text (bytes of one file). The API server refuses a request body over 3 MiB, so one object
   *  never comes near this; a file past it is not a hand-written manifest. */
  maxChars: 4 * 1024 * 1024,
  /** Nesting levels of collections. Real manifests (CRD schemas included) stay far below. */
  maxDepth: 128,
  /** Values produced by expanding aliases and merge keys, per text (go-yaml refuses "excessive aliasing" too). */
  maxAliasValues: 100_000,
} as const;

/** The message for a text or file past `LIMITS.maxChars` (`size` unknown for a stream). */
export function tooLargeMessage(size?: number): string {
  const what = size === undefined ? 'over the limit' : `${(size / 1024 / 1024).toFixed(1)} MiB`;
  return `too large (${what}): kokpit reads manifests up to ${LIMITS.maxChars / 1024 / 1024} MiB`;
}
