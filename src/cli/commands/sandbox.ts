// `kokpit sandbox start|stop|status`: another name for `kokpit up --runtime sandbox`, `kokpit down` and
// `kokpit status`: one lifecycle and one state file (local/state.ts), so each command sees a sandbox
// started either way. `start` takes up's flags (--name, --version, --nodes N kwok-simulated meta nodes,
// --detach, --with-sample, --config, -v); `stop` and `status` take down's and status's.
import { UsageError, type Command } from '../command';
import { downCommand } from './down';
import { statusCommand } from './status';
import { upCommand } from './up';

export const sandboxCommand: Command = {
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'start') {
      if (rest.some((f) => /^--runtime(=|$)/.test(f)))
        throw new UsageError('"sandbox start" is `kokpit up --runtime sandbox`: no --runtime');
      return upCommand.run(['--runtime', 'sandbox', ...rest], io);
    }
    if (sub === 'stop') return downCommand.run(rest, io);
    if (sub === 'status') return statusCommand.run(rest, io);
    throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand: start, stop or status');
  },
};
