// `kokpit sandbox start|stop|status`: another name for `kokpit up --runtime sandbox`, `kokpit down` and
// `kokpit status`: one lifecycle and one state file (local/state.ts), so each command sees a sandbox
// started either way. `start` takes up's flags (--name, --version, --nodes N kwok-simulated meta nodes,
// --detach, --with-sample, --config, -v); `stop` and `status` take down's and status's.
import { UsageError, type Command } from '../command';
import { downCommand } from './down';
import { statusCommand } from './status';
import { upCommand } from './up';
import { sandboxRoot } from '../../local/sandbox-state';

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'A local meta cluster without Docker: `kokpit up --runtime sandbox` (start), `kokpit down` (stop), `kokpit status`',
  usage:
    'kokpit sandbox start [--name N] [--version V] [--nodes N] [--detach] [--with-sample] [--config FILE] [-v]\n' +
    '       kokpit sandbox stop [--name N]\n' +
    '       kokpit sandbox status [--name N]\n\n' +
    'Other names for `kokpit up --runtime sandbox`, `kokpit down` and `kokpit status`: the same environment, state\n' +
    'and default name ("kokpit"), whichever command started it.\n' +
    'start   etcd, kube-apiserver and kube-controller-manager as local processes on 127.0.0.1, the kokpit CRDs,\n' +
    '        catalog and reconcilers, and a pod runner node whose pods run as local processes; a kubeconfig\n' +
    '        (mode 0600). --nodes N adds N kwok-simulated nodes (no kubelet, no scheduler: a pod that names one\n' +
    '        is reported Running, nothing runs). Runs until Ctrl-C, or in the background with --detach.\n' +
    'stop    stops everything it started and removes its state.\n' +
    'status  shows it, the manager and the business clusters.\n\n' +
    `State: ${sandboxRoot()}/<name> (override the parent with KOKPIT_SANDBOX_DIR).`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'start') {
      if (rest.some((f) => /^--runtime(=|$)/.test(f))) throw new UsageError('"sandbox start" is `kokpit up --runtime sandbox`: no --runtime');
      return upCommand.run(['--runtime', 'sandbox', ...rest], io);
    }
    if (sub === 'stop') return downCommand.run(rest, io);
    if (sub === 'status') return statusCommand.run(rest, io);
    throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'missing subcommand: start, stop or status');
  },
};
