// FleetConnection and Open Cluster Management: OCM's kinds are watched only when the meta cluster serves them;
// a discovery that fails is a warning and a tree without OCM, never a failed connection; a hub installed after
// connecting is found by asking again (every ocmPollMs) and shows without a Refresh.
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { FLEET_KINDS, FleetConnection, OCM_FLEET_STREAMS, type ObjectStream } from '../../../src/extension/model/fleet-connection';
import { systemClock } from '../../../src/extension/model/clock';
import type { Logger } from '../../../src/extension/model/logger';
import type { Clock, TimerHandle } from '../../../src/extension/model/clock';

/** Timers that run when the test moves time on (each due one once, in order). */
class StepClock implements Clock {
  private time = 0;
  private readonly timers = new Map<object, { at: number; run: () => void }>();
  now = () => this.time;
  setTimeout = (run: () => void, ms: number): TimerHandle => {
    const handle = {};
    this.timers.set(handle, { at: this.time + ms, run });
    return handle as TimerHandle;
  };
  clearTimeout = (handle: TimerHandle) => void this.timers.delete(handle as object);
  advance(ms: number): void {
    this.time += ms;
    for (const [h, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) if (t.at <= this.time && this.timers.delete(h)) t.run();
  }
}

const quiet: ObjectStream = { onEvent: () => undefined, start: async () => undefined, stop: async () => undefined };

async function connect(ocmServed?: () => Promise<boolean>) {
  const warnings: string[] = [];
  const logger: Logger = { trace: () => {}, debug: () => {}, info: () => {}, warn: (m) => void warnings.push(m), error: () => {} };
  const watched: string[] = [];
  const streams = new Map<string, (o: KubernetesObject) => void>();
  const c = new FleetConnection({
    name: 'meta',
    clock: systemClock,
    logger,
    ocmServed,
    streams: (k) => {
      watched.push(k.kind);
      return { ...quiet, onEvent: (h) => void streams.set(k.kind, (o) => h(o, 'add')) };
    },
  });
  await c.start();
  await c.stop();
  return { c, watched, warnings, groups: c.model.children(c.model.rootId).map((n) => n.label) };
}

describe('extension: FleetConnection watches OCM kinds only when they are served', () => {
  it('no ocmServed (a runtime without it): kokpit kinds only', async () => {
    const r = await connect();
    assert.deepEqual(
      r.watched,
      FLEET_KINDS.map((k) => k.kind),
    );
    assert.ok(!r.groups.includes('Placements'));
  });
  it('served: the four OCM kinds too, and the Placements group', async () => {
    const r = await connect(async () => true);
    assert.deepEqual(
      r.watched,
      [...FLEET_KINDS, ...OCM_FLEET_STREAMS].map((k) => k.kind),
    );
    assert.deepEqual(OCM_FLEET_STREAMS.map((k) => k.kind).sort(), ['ManagedCluster', 'ManifestWork', 'Placement', 'PlacementDecision']);
    assert.ok(r.groups.includes('Placements'));
  });
  it('not served: kokpit kinds only; a failed discovery is a warning, and the connection still starts', async () => {
    assert.deepEqual(
      (await connect(async () => false)).watched,
      FLEET_KINDS.map((k) => k.kind),
    );
    const r = await connect(async () => {
      throw new Error('HTTP 403: forbidden');
    });
    assert.deepEqual(
      r.watched,
      FLEET_KINDS.map((k) => k.kind),
    );
    assert.deepEqual(r.warnings, ['fleet: cannot tell whether Open Cluster Management is installed: HTTP 403: forbidden']);
  });

  it('OCM installed after connecting: found by asking again, its group and watches added, no Refresh', async () => {
    const clock = new StepClock();
    const logger: Logger = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    let served = false;
    let asked = 0;
    const watched: string[] = [];
    const emit = new Map<string, (o: KubernetesObject) => void>();
    const c = new FleetConnection({
      name: 'meta',
      clock,
      logger,
      ocmPollMs: 5000,
      debounceMs: 10,
      ocmServed: async () => (asked++, served),
      streams: (k) => {
        watched.push(k.kind);
        return { ...quiet, onEvent: (h) => void emit.set(k.kind, (o) => h(o, 'add')) };
      },
    });
    const batches: string[][] = [];
    c.onDidChange((ids) => batches.push(ids));
    await c.start();
    const settle = () => new Promise((r) => setImmediate(r));
    clock.advance(5000);
    await settle();
    assert.equal(asked, 2, 'asked again after ocmPollMs');
    assert.ok(!c.model.children(c.model.rootId).some((n) => n.label === 'Placements'));
    served = true;
    clock.advance(5000);
    await settle();
    assert.equal(asked, 3);
    assert.deepEqual(
      watched,
      [...FLEET_KINDS, ...OCM_FLEET_STREAMS].map((k) => k.kind),
    );
    clock.advance(10);
    assert.ok(c.model.children(c.model.rootId).some((n) => n.label === 'Placements'));
    assert.ok(batches.flat().includes(c.model.rootId), 'the root refreshed');
    // Its watches feed the tree as the first ones do; no more asking once found.
    emit.get('ManagedCluster')!({
      apiVersion: 'cluster.open-cluster-management.io/v1',
      kind: 'ManagedCluster',
      metadata: { name: 'edge-1', labels: { 'kokpit.dev/imported': 'edge-1' } },
    } as KubernetesObject);
    assert.ok(c.model.get('meta:meta/ManagedCluster/edge-1'));
    clock.advance(60_000);
    await settle();
    assert.equal(asked, 3);
    await c.stop();
  });

  it('stopped before OCM shows up: no more asking', async () => {
    const clock = new StepClock();
    let asked = 0;
    const logger: Logger = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const c = new FleetConnection({ name: 'meta', clock, logger, ocmServed: async () => (asked++, false), streams: () => quiet });
    await c.start();
    await c.stop();
    clock.advance(60_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(asked, 1);
  });
});
