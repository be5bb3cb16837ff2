// "Start/Stop Reconcilers": kokpit's manager in the extension host against the connected meta cluster, behind the
// leader lease (kokpit-system/kokpit-manager). Its logs go to the Kokpit output channel; a status-bar item shows
// whether it runs, waits for another holder of the lease, or failed. Disconnecting or deactivating stops it.
import * as vscode from 'vscode';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  describeManagerLease,
  leaseHeld,
  leaseTransition,
  managerSummary,
  readManagerLease,
  type ManagerLease,
} from '../../fleet/manager-lease';
import type { FleetController, FleetState } from '../fleet/controller';
import { ManagerLeaseWatch } from '../model/manager-lease-watch';
import { COMMANDS } from '../model/commands';
import type { Logger } from '../model/logger';
import { reconcilerStatus, ReconcilerService, shouldAutoStart, type ManagerFactory } from '../model/reconcilers';
import type { Runtime } from '../runtime';
import type { CommandModule, CommandServices } from './types';

export const LEASE_NAMESPACE = 'kokpit-system';

/** The operators (and the etcd client with its .proto files) load on first start, not at activation. */
const embeddedManager: ManagerFactory = (kc, log, onWaiting) => {
  let manager: import('../../manager/manager').Manager | undefined;
  const loaded = Promise.all([import('../../manager/manager'), import('../../manager/operators')]).then(
    ([{ Manager }, { kokpitOperators }]) => {
      manager = new Manager({
        kc,
        operators: kokpitOperators(),
        leaderElection: { namespace: LEASE_NAMESPACE, onWaiting },
        log: prefixed(log, 'reconcilers: '),
      });
      return manager;
    },
  );
  let stopped = false;
  return {
    start: async () => {
      const m = await loaded;
      if (stopped) throw new Error('stopped before the reconcilers started');
      await m.start();
    },
    stop: async (graceMs) => {
      stopped = true;
      await (await loaded).stop(graceMs);
    },
    finished: loaded.then((m) => m.finished),
  };
};

function prefixed(log: Logger, prefix: string): Logger {
  return {
    trace: (m) => log.trace(prefix + m),
    debug: (m) => log.debug(prefix + m),
    info: (m) => log.info(prefix + m),
    warn: (m) => log.warn(prefix + m),
    error: (m) => log.error(m instanceof Error ? `${prefix}${m.message}` : prefix + m),
  };
}

/** The service, its status-bar item, starting on connect (kokpit.reconcilers.autoStart), and stopping when the meta cluster goes away. */
export function createReconcilers(
  context: vscode.ExtensionContext,
  runtime: Pick<Runtime, 'logger' | 'settings' | 'clock'>,
  fleet: FleetController,
  factory: ManagerFactory = embeddedManager,
  readLease: (kc: KubeConfig) => Promise<ManagerLease> = (kc) => readManagerLease(kc),
): ReconcilerService {
  const { logger } = runtime;
  const service = new ReconcilerService(factory, logger);
  const item = vscode.window.createStatusBarItem('kokpit.reconcilers', vscode.StatusBarAlignment.Left, 9);
  item.name = 'Kokpit reconcilers';
  let lease: ManagerLeaseWatch | undefined;
  /** The lease as read, when it is not this editor's own manager that holds it. */
  const elsewhere = () => (service.state.kind === 'running' ? undefined : lease?.current);
  const show = () => {
    const s = service.state;
    const other = elsewhere();
    const status = reconcilerStatus(s, other);
    item.text = status.text;
    item.tooltip = status.tooltip;
    const heldElsewhere = other !== undefined && leaseHeld(other);
    // "Start Reconcilers" is offered only while no other manager holds the lease (package.json menus use this key).
    void vscode.commands.executeCommand('setContext', 'kokpit.managerLeaseHeldElsewhere', heldElsewhere);
    item.command =
      s.kind === 'running' || s.kind === 'waiting' ? COMMANDS.stopReconcilers.id : heldElsewhere ? undefined : COMMANDS.startReconcilers.id;
    // The leader elector itself logs who holds the lease. Hidden while there is nothing to run against.
    if (fleet.state.kind === 'connected' || s.kind !== 'stopped') item.show();
    else item.hide();
  };
  show();
  const autoStart = async (state: FleetState) => {
    if (state.kind !== 'connected' || !runtime.settings.current().reconcilersAutoStart) return;
    // A refresh reconnects: the reconcilers stopped with the old connection start again once they are down.
    if (service.state.kind === 'stopping') {
      await new Promise<void>((resolve) => {
        const sub = service.onDidChange((s) => {
          if (s.kind === 'stopping') return;
          sub.dispose();
          resolve();
        });
      });
    }
    const kc = fleet.metaKubeConfig;
    if (fleet.state !== state || !kc || !shouldAutoStart(runtime.settings.current(), state, service.state)) return;
    logger.info(`kokpit.reconcilers.autoStart: starting reconcilers against ${state.context}`);
    try {
      service.start(kc, state.context);
    } catch (e) {
      logger.warn(`auto-start of the reconcilers: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const onLease = (next: ManagerLease, prev: ManagerLease | undefined) => {
    fleet.setManagerSummary({ ...managerSummary(next), tooltip: `Manager: ${describeManagerLease(next)}` });
    // This editor's own manager taking or releasing the lease is not news; another one's failover or lapse is.
    const t = service.state.kind === 'running' ? undefined : leaseTransition(prev, next);
    if (t && runtime.settings.current().notificationsEnabled) {
      logger.warn(`notification: ${t.message}`);
      const say = t.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void say(`Kokpit: ${t.message}`);
    }
    show();
  };
  const watchLease = (state: FleetState) => {
    lease?.stop();
    lease = undefined;
    const kc = fleet.metaKubeConfig;
    if (state.kind === 'connected' && kc) {
      lease = new ManagerLeaseWatch(() => readLease(kc), runtime.clock, onLease);
      lease.start();
    }
    show();
  };
  context.subscriptions.push(
    item,
    { dispose: () => lease?.stop() },
    fleet.onDidChangeState(watchLease),
    service.onDidChange(show),
    fleet.onDidChangeState(show),
    // Reconcilers against a cluster the editor no longer shows would be invisible: stop them with the connection.
    fleet.onDidChangeState((state) => {
      if (state.kind !== 'connected' && service.state.kind !== 'stopped' && service.state.kind !== 'failed') void service.stop();
    }),
    // Another manager (a `kokpit up` environment, an in-cluster operator) holding the lease just makes these wait.
    fleet.onDidChangeState((state) => void autoStart(state)),
  );
  return service;
}

async function start({ fleet, reconcilers, runtime }: CommandServices): Promise<void> {
  const kc = fleet.metaKubeConfig;
  if (fleet.state.kind !== 'connected' || !kc) throw new Error('not connected to a meta cluster (run "Kokpit: Connect to Meta Cluster")');
  runtime.logger.info(`starting reconcilers against ${fleet.state.context}`);
  reconcilers.start(kc, fleet.state.context);
}

async function stop({ reconcilers, runtime }: CommandServices): Promise<void> {
  if (reconcilers.state.kind === 'stopped') {
    void vscode.window.showInformationMessage('Kokpit: the reconcilers are not running here');
    return;
  }
  await runtime.progress.run('stopping reconcilers', () => reconcilers.stop());
  runtime.logger.info('reconcilers stopped');
}

export const reconcilerCommands: CommandModule = {
  [COMMANDS.startReconcilers.id]: start,
  [COMMANDS.stopReconcilers.id]: stop,
};
