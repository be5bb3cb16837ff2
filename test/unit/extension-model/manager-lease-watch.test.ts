// The editor's view of the manager lease, through the fake vscode: while connected, the lease is polled; when
// another manager holds it the status bar says where it runs and "Start Reconcilers" is not offered (the context key
// package.json's menus use); a lapse and a failover are notified once; disconnecting stops the polling.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ManagerLease } from '../../../src/fleet/manager-lease';
import type { Clock, TimerHandle } from '../../../src/extension/model/clock';
import { fake, fakeContext, installFakeVscode, type FakeState } from './fake-vscode';

const ROOT = join(__dirname, '..', '..', '..');
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Timers run only when the test says so. */
class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private t = 0;
  private next = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.next;
    this.timers.push({ at: this.t + ms, fn, id });
    return id as unknown as TimerHandle;
  };
  clearTimeout = (h: TimerHandle) => void (this.timers = this.timers.filter((x) => x.id !== (h as unknown as number)));
  get pending(): number {
    return this.timers.length;
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    for (const due of this.timers.filter((x) => x.at <= this.t)) {
      this.timers = this.timers.filter((x) => x !== due);
      due.fn();
    }
    await new Promise((r) => setImmediate(r));
  }
}

type Listener = (s: { kind: string }) => void;

function fakeFleet() {
  const listeners: Listener[] = [];
  const summaries: { text: string; status: string; tooltip?: string }[] = [];
  const kc = new KubeConfig();
  const fleet = {
    state: { kind: 'disconnected' } as { kind: string; context?: string },
    get metaKubeConfig() {
      return fleet.state.kind === 'connected' ? kc : undefined;
    },
    onDidChangeState: (l: Listener) => {
      listeners.push(l);
      return { dispose: () => undefined };
    },
    setManagerSummary: (s: { text: string; status: string; tooltip?: string }) => void summaries.push(s),
    set(kind: string) {
      fleet.state = { kind, context: 'meta' };
      for (const l of listeners) l(fleet.state);
    },
  };
  return { fleet, summaries };
}

const podHeld = (holder: string, state: 'held' | 'expired' = 'held', renewedAgoSec = 1): ManagerLease => ({
  state,
  holder,
  where: { kind: 'pod', phase: 'Running' },
  renewedAgoSec,
  durationSec: 15,
});

describe('editor: the manager lease (fake vscode)', () => {
  let state: FakeState;
  let createReconcilers: typeof import('../../../src/extension/commands/reconcilers').createReconcilers;

  before(() => {
    installFakeVscode();
    ({ createReconcilers } = require(join(ROOT, 'src', 'extension', 'commands', 'reconcilers.ts')));
  });

  beforeEach(() => {
    state = fake.reset();
  });

  it('another manager holding the lease: status bar names it, Start is not offered; a lapse and a failover are notified once', async () => {
    const clock = new ManualClock();
    const { fleet, summaries } = fakeFleet();
    const expired: ManagerLease = podHeld('m-1', 'expired', 20);
    const readings: ManagerLease[] = [podHeld('m-1'), podHeld('m-1'), expired, podHeld('m-2')];
    let reads = 0;
    const context = fakeContext();
    const settings = { current: () => ({ notificationsEnabled: true, reconcilersAutoStart: false }) };
    const read = async () => readings[Math.min(reads++, readings.length - 1)];
    createReconcilers(context as never, { logger: silent, clock, settings } as never, fleet as never, undefined, read);
    const item = state.statusBarItems.find((i) => i.id === 'kokpit.reconcilers')!;
    assert.equal(reads, 0, 'nothing is read while disconnected');

    fleet.set('connected');
    await clock.advance(0);
    assert.equal(reads, 1);
    assert.equal(item.text, '$(server-environment) manager: pod kokpit-system/m-1');
    assert.match(item.tooltip!, /the manager in the cluster: pod kokpit-system\/m-1 \(Running\) holds the lease/);
    assert.equal(item.command, undefined, 'clicking does not start a second manager');
    assert.equal(state.contextKeys.get('kokpit.managerLeaseHeldElsewhere'), true);
    assert.deepEqual(summaries.at(-1)?.text, 'manager: pod kokpit-system/m-1');
    assert.equal(state.messages.length, 0, 'the first reading is not news');

    await clock.advance(5_000);
    assert.equal(reads, 2);
    assert.equal(state.messages.length, 0, 'an unchanged holder is not news');

    await clock.advance(5_000);
    assert.equal(state.contextKeys.get('kokpit.managerLeaseHeldElsewhere'), false, 'an expired lease: Start is offered again');
    assert.equal(item.command, 'kokpit.startReconcilers');
    assert.deepEqual(
      state.messages.map((m) => [m.level, m.text]),
      [
        [
          'warning',
          'Kokpit: no manager has renewed the lease kokpit-system/kokpit-manager for 20s (last holder m-1): nothing reconciles the fleet',
        ],
      ],
    );

    await clock.advance(5_000);
    assert.deepEqual(state.messages.at(-1), {
      level: 'info',
      text: 'Kokpit: the manager lease is held again, by pod kokpit-system/m-2',
      items: [],
    });
    assert.equal(state.messages.length, 2);

    fleet.set('disconnected');
    assert.equal(clock.pending, 0, 'disconnecting stops the polling');
    for (const d of context.subscriptions) d.dispose();
  });

  it('notifications off: the lease is still shown, nothing pops up', async () => {
    const clock = new ManualClock();
    const { fleet } = fakeFleet();
    const readings: ManagerLease[] = [podHeld('m-1'), podHeld('m-1', 'expired', 20)];
    let reads = 0;
    const context = fakeContext();
    const settings = { current: () => ({ notificationsEnabled: false, reconcilersAutoStart: false }) };
    const read = async () => readings[Math.min(reads++, 1)];
    createReconcilers(context as never, { logger: silent, clock, settings } as never, fleet as never, undefined, read);
    fleet.set('connected');
    await clock.advance(0);
    await clock.advance(5_000);
    assert.equal(reads, 2);
    assert.equal(state.messages.length, 0);
    for (const d of context.subscriptions) d.dispose();
    assert.equal(clock.pending, 0, 'disposing stops the polling');
  });
});
