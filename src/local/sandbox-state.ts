// Where local environments (`kokpit up`, and `kokpit sandbox`, its other name) keep their state:
// $XDG_STATE_HOME/kokpit/sandbox/<name> (default ~/.local/state/…; KOKPIT_SANDBOX_DIR overrides the parent).
// What is in it: local/state.ts.
import * as os from 'node:os';
import * as path from 'node:path';

export function sandboxRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KOKPIT_SANDBOX_DIR) return env.KOKPIT_SANDBOX_DIR;
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'kokpit', 'sandbox');
}

export function sandboxDir(name: string): string {
  return path.join(sandboxRoot(), name);
}
