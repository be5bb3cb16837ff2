// A `go` that records each build instead of compiling, so the binary builder's real path runs in unit tests: one line
// per call (its working directory, CGO_ENABLED, then every argument), and the `-o` file written as go would.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GoBuildCall {
  cwd: string;
  cgo: string;
  args: string[];
}

/** The fake `go` in `dir` (answers `go env` with go1.26.0), and the builds it was asked for so far. */
export function recordingGo(dir: string): { go: string; calls(): GoBuildCall[] } {
  const record = path.join(dir, 'go-calls');
  const go = path.join(dir, 'go');
  fs.writeFileSync(
    go,
    '#!/bin/sh\nif [ "$1" = env ]; then echo go1.26.0; exit 0; fi\n' +
      `{ printf '%s|%s' "$PWD" "$CGO_ENABLED"; for a in "$@"; do printf '|%s' "$a"; done; echo; } >> ${record}\n` +
      'while [ $# -gt 0 ]; do if [ "$1" = -o ]; then echo bin > "$2"; fi; shift; done\n',
    { mode: 0o755 },
  );
  const calls = () =>
    (fs.existsSync(record) ? fs.readFileSync(record, 'utf8').trim().split('\n').filter(Boolean) : []).map((l) => {
      const [cwd, cgo, ...args] = l.split('|');
      return { cwd, cgo, args };
    });
  return { go, calls };
}
